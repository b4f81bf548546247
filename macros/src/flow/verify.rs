//! `verify = …`: which signature scheme guards a webhook endpoint, and with which secrets.

use crate::errors::Errors;
use crate::suggest::did_you_mean;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, ExprArray, ExprAssign, ExprCall, ExprLit, Ident, Lit, LitStr, Path, Type};

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
        match value {
            Expr::Path(path) => Some(VerifyAttr::Custom(path.path.clone())),
            Expr::Call(call) => parse_scheme(call, errors),
            _ => {
                errors.at(value, usage());
                None
            }
        }
    }

    /// The runtime's `Verifier<C>` for this declaration.
    pub(crate) fn expand(&self, config: &Type) -> TokenStream {
        match self {
            VerifyAttr::Custom(path) => quote_spanned! {path.span()=>
                ::aqueduct::__private::Verifier::Custom(#path)
            },
            VerifyAttr::Signed { scheme, secrets } => {
                let scheme = match scheme {
                    Scheme::HmacSha256 { header, prefix, base64 } => {
                        let prefix = prefix.as_ref().map(LitStr::value).unwrap_or_default();
                        let encoding = if *base64 { quote!(Base64) } else { quote!(Hex) };
                        quote!(::aqueduct::__private::Scheme::HmacSha256 {
                            header: #header,
                            prefix: #prefix,
                            encoding: ::aqueduct::__private::Encoding::#encoding,
                        })
                    }
                    Scheme::StandardWebhooks => quote!(::aqueduct::__private::Scheme::StandardWebhooks),
                    Scheme::Stripe => quote!(::aqueduct::__private::Scheme::Stripe),
                    Scheme::Slack => quote!(::aqueduct::__private::Scheme::Slack),
                };
                // Spanned at each field name: a missing field, or one that is not a `Secret`,
                // is reported where it is named.
                let collect = secrets.iter().map(|field| {
                    quote_spanned! {field.span()=>
                        ::aqueduct::__private::SecretField::collect(&config.#field, &mut all);
                    }
                });
                quote! {
                    ::aqueduct::__private::Verifier::Signed {
                        scheme: #scheme,
                        secrets: {
                            fn secrets(config: &#config) -> ::std::vec::Vec<&::aqueduct::Secret> {
                                let mut all = ::std::vec::Vec::new();
                                #(#collect)*
                                all
                            }
                            secrets
                        },
                    }
                }
            }
        }
    }
}

fn usage() -> String {
    "`verify` takes a signing scheme — `hmac_sha256(header = \"X-Hub-Signature-256\", secret = field, prefix = \"sha256=\")`, \
     `standard_webhooks(secret = field)`, `stripe(secret = field)`, `slack(secret = field)` — or the name of a \
     `fn(&Config, &Request) -> Result<(), VerifyError>`"
        .into()
}

fn parse_scheme(call: &ExprCall, errors: &mut Errors) -> Option<VerifyAttr> {
    let Expr::Path(function) = &*call.func else {
        errors.at(call, usage());
        return None;
    };
    let Some(name) = function.path.get_ident().map(Ident::to_string) else {
        errors.at(function, usage());
        return None;
    };
    let allowed: &[&str] = match name.as_str() {
        "hmac_sha256" => &["header", "secret", "prefix", "encoding"],
        "standard_webhooks" | "stripe" | "slack" => &["secret"],
        _ => {
            errors.at(
                function,
                format!(
                    "unknown signing scheme `{name}`; `verify` takes one of: {}.{}",
                    SCHEMES.join(", "),
                    did_you_mean(&name, SCHEMES)
                ),
            );
            return None;
        }
    };
    let mut arguments: Vec<(Ident, &Expr)> = Vec::new();
    for argument in &call.args {
        let Expr::Assign(ExprAssign { left, right, .. }) = argument else {
            errors.at(
                argument,
                format!("write the arguments of `{name}` as `key = value`, e.g. `secret = webhook_secret`"),
            );
            continue;
        };
        let Some(key) = (match &**left {
            Expr::Path(path) => path.path.get_ident().cloned(),
            _ => None,
        }) else {
            errors.at(left, format!("`{name}` takes: {}", allowed.join(", ")));
            continue;
        };
        if !allowed.contains(&key.to_string().as_str()) {
            errors.at(
                &key,
                format!(
                    "`{name}` has no argument `{key}`; it takes: {}.{}",
                    allowed.join(", "),
                    did_you_mean(&key.to_string(), allowed.iter().copied())
                ),
            );
            continue;
        }
        arguments.push((key, right));
    }
    let find = |key: &str| arguments.iter().find(|(name, _)| name == key).map(|(_, value)| *value);
    let Some(secret) = find("secret") else {
        errors.at(
            call,
            format!("`{name}` needs `secret = field`, the configuration field that holds the signing secret"),
        );
        return None;
    };
    let secrets = secret_fields(secret, errors)?;
    let scheme = match name.as_str() {
        "hmac_sha256" => {
            let Some(header) = find("header").and_then(|value| string(value, errors)) else {
                errors.at(call, "`hmac_sha256` needs `header = \"…\"`, the header that carries the signature, e.g. \"X-Hub-Signature-256\"");
                return None;
            };
            let prefix = find("prefix").and_then(|value| string(value, errors));
            let base64 = match find("encoding").and_then(|value| string(value, errors)) {
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

fn string(value: &Expr, errors: &mut Errors) -> Option<LitStr> {
    match value {
        Expr::Lit(ExprLit { lit: Lit::Str(text), .. }) => Some(text.clone()),
        _ => {
            errors.at(value, "expected a string literal, e.g. \"X-Hub-Signature-256\"");
            None
        }
    }
}
