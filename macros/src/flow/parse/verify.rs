//! `verify = …`: which signature scheme guards an endpoint, and the configuration fields that
//! hold its secrets; or a function of the user's own.

use crate::call::Call;
use crate::errors::Errors;
use crate::suggest::did_you_mean;
use syn::{Expr, ExprArray, Ident, LitStr, Path};

const SCHEMES: [&str; 4] = ["hmac_sha256", "standard_webhooks", "stripe", "slack"];

/// A signing scheme as written.
pub(crate) enum Scheme {
    HmacSha256 { header: LitStr, prefix: Option<LitStr>, base64: bool },
    StandardWebhooks,
    Stripe,
    Slack,
}

pub(crate) enum VerifyAttr {
    /// A built-in scheme and the configuration fields holding its secrets.
    Signed { scheme: Scheme, secrets: Vec<Ident> },
    /// `verify = my_fn`: `fn(&Config, &Request) -> Result<(), VerifyError>`.
    Custom(Path),
}

impl VerifyAttr {
    pub(crate) fn parse(value: &Expr, errors: &mut Errors) -> Option<VerifyAttr> {
        let usage = "`verify` takes a signing scheme — `hmac_sha256(header = \"X-Hub-Signature-256\", secret = field, prefix = \"sha256=\")`, \
             `standard_webhooks(secret = field)`, `stripe(secret = field)`, `slack(secret = field)` — or the name of a \
             `fn(&Config, &Request) -> Result<(), VerifyError>`";
        match (value, Call::of(value)) {
            (Expr::Path(path), _) => Some(VerifyAttr::Custom(path.path.clone())),
            (_, Some(call)) => parse_scheme(&call, value, errors),
            (_, None) => {
                errors.at(value, usage);
                None
            }
        }
    }
}

fn parse_scheme(call: &Call, value: &Expr, errors: &mut Errors) -> Option<VerifyAttr> {
    let name = call.name.to_string();
    let allowed: &'static [&'static str] = match name.as_str() {
        "hmac_sha256" => &["header", "secret", "prefix", "encoding"],
        "standard_webhooks" | "stripe" | "slack" => &["secret"],
        _ => {
            errors.at(
                &call.name,
                format!(
                    "unknown signing scheme `{name}`; `verify` takes one of: {}.{}",
                    SCHEMES.join(", "),
                    did_you_mean(&name, SCHEMES)
                ),
            );
            return None;
        }
    };
    let arguments = call.named_arguments(allowed, errors);
    let needs_secret =
        format!("`{name}` needs `secret = field`, the configuration field that holds the signing secret");
    let secrets = secret_fields(arguments.required("secret", value, &needs_secret, errors)?.value, errors)?;
    let scheme = match name.as_str() {
        "hmac_sha256" => {
            let needs_header = "`hmac_sha256` needs `header = \"…\"`, the header that carries the signature, e.g. \"X-Hub-Signature-256\"";
            let header =
                arguments.required("header", value, needs_header, errors)?.string("X-Hub-Signature-256", errors)?;
            let prefix = arguments.get("prefix").and_then(|prefix| prefix.string("sha256=", errors));
            let base64 = match arguments.get("encoding").and_then(|encoding| encoding.string("base64", errors)) {
                None => false,
                Some(encoding) if encoding.value() == "hex" => false,
                Some(encoding) if encoding.value() == "base64" => true,
                Some(encoding) => {
                    errors.at(&encoding, "`encoding` is \"hex\" (the default) or \"base64\"");
                    return None;
                }
            };
            Scheme::HmacSha256 { header, prefix, base64 }
        }
        "standard_webhooks" => Scheme::StandardWebhooks,
        "stripe" => Scheme::Stripe,
        _ => Scheme::Slack,
    };
    Some(VerifyAttr::Signed { scheme, secrets })
}

/// `secret = field` or, while a customer rotates, `secret = [field, previous_field]`.
fn secret_fields(value: &Expr, errors: &mut Errors) -> Option<Vec<Ident>> {
    let field = |expr: &Expr, errors: &mut Errors| match expr {
        Expr::Path(path) if path.path.get_ident().is_some() => path.path.get_ident().cloned(),
        _ => {
            errors.at(expr, "`secret` names a field of the configuration, e.g. `secret = webhook_secret`");
            None
        }
    };
    match value {
        Expr::Array(ExprArray { elems, .. }) if !elems.is_empty() => {
            elems.iter().map(|expr| field(expr, errors)).collect()
        }
        _ => field(value, errors).map(|ident| vec![ident]),
    }
}
