//! `header("…")` or `json("/…")`: where a request carries a value, for `route` (the event a
//! pre-process endpoint dispatches on) and `dedupe` (a webhook's delivery id).

use crate::errors::Errors;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Expr, ExprCall, ExprLit, Ident, Lit, LitStr};

pub(crate) enum RequestKey {
    Header(LitStr),
    Json(LitStr),
}

impl RequestKey {
    /// Parses `value`; `usage` is the option's own help, shown when it is not such a call.
    pub(crate) fn parse(value: &Expr, usage: &str, errors: &mut Errors) -> Option<RequestKey> {
        let Some((function, argument)) = call_with_string(value) else {
            errors.at(value, usage);
            return None;
        };
        let text = argument.value();
        if function == "header" {
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
                errors.at(&argument, format!("`{text}` is not a header name; header names are letters, digits and `-`, e.g. \"X-GitHub-Delivery\""));
                return None;
            }
            Some(RequestKey::Header(argument))
        } else if function == "json" {
            if !text.starts_with('/') {
                errors.at(
                    &argument,
                    format!(
                        "`json(…)` takes a JSON pointer, which starts with `/`: write \"/{}\"",
                        text.trim_start_matches(['$', '.'])
                    ),
                );
                return None;
            }
            Some(RequestKey::Json(argument))
        } else {
            errors.at(&function, usage);
            None
        }
    }

    /// The runtime's `RequestKey` this names.
    pub(crate) fn expand(&self) -> TokenStream {
        match self {
            RequestKey::Header(name) => quote!(::aqueduct::__private::RequestKey::Header(#name)),
            RequestKey::Json(pointer) => quote!(::aqueduct::__private::RequestKey::Json(#pointer)),
        }
    }
}

/// `name("…")`.
fn call_with_string(value: &Expr) -> Option<(Ident, LitStr)> {
    let Expr::Call(ExprCall { func, args, .. }) = value else { return None };
    let Expr::Path(function) = &**func else { return None };
    match args.iter().collect::<Vec<_>>().as_slice() {
        [Expr::Lit(ExprLit { lit: Lit::Str(argument), .. })] => {
            Some((function.path.get_ident()?.clone(), argument.clone()))
        }
        _ => None,
    }
}
