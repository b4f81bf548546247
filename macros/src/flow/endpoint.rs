//! The options of endpoints that a single webhook flow does not need: a pre-process flow's
//! `route` and `unhandled`, and the `handshake` a provider asks for.

use crate::errors::Errors;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Expr, ExprAssign, ExprCall, ExprLit, Ident, Lit, LitStr, Type};

/// What `route` takes, shown when it is not `header("…")` or `json("/…")`.
pub(crate) const ROUTE_USAGE: &str =
    "`route` takes `header(\"X-GitHub-Event\")` or `json(\"/type\")`: where each delivery says which event it is";

/// `unhandled = "ignore"` (the default: answered 202, recorded as ignored) or `"reject"` (404).
pub(crate) fn parse_unhandled(value: &Expr, errors: &mut Errors) -> Option<bool> {
    match value {
        Expr::Lit(ExprLit { lit: Lit::Str(text), .. }) if text.value() == "ignore" => Some(false),
        Expr::Lit(ExprLit { lit: Lit::Str(text), .. }) if text.value() == "reject" => Some(true),
        _ => {
            errors.at(
                value,
                "`unhandled` is \"ignore\" (answer 202 and record the delivery as ignored) or \"reject\" (answer 404)",
            );
            None
        }
    }
}

/// A provider's subscription handshake.
pub(crate) enum HandshakeAttr {
    /// Slack's `url_verification`: the challenge is echoed back.
    Slack,
    /// A `GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`, answered with the
    /// challenge when the token matches the named configuration field.
    HubChallenge { verify_token: Ident },
    /// An SNS `SubscriptionConfirmation`: its `SubscribeURL` is fetched, if its host is SNS's,
    /// or `host` (or under it) when given.
    Sns { host: Option<LitStr> },
}

impl HandshakeAttr {
    pub(crate) fn parse(value: &Expr, errors: &mut Errors) -> Option<HandshakeAttr> {
        const USAGE: &str = "`handshake` takes `slack`, `hub_challenge(verify_token = field)` or `sns` (`sns(host = \"…\")` for an SNS-compatible service on another host)";
        match value {
            Expr::Path(path) if path.path.is_ident("slack") => Some(HandshakeAttr::Slack),
            Expr::Path(path) if path.path.is_ident("sns") => Some(HandshakeAttr::Sns { host: None }),
            Expr::Call(ExprCall { func, args, .. }) => {
                let name = match &**func {
                    Expr::Path(path) => path.path.get_ident().map(Ident::to_string),
                    _ => None,
                };
                let argument = match args.iter().collect::<Vec<_>>().as_slice() {
                    [Expr::Assign(ExprAssign { left, right, .. })] => match &**left {
                        Expr::Path(key) => key.path.get_ident().cloned().map(|key| (key, &**right)),
                        _ => None,
                    },
                    _ => None,
                };
                match (name.as_deref(), argument) {
                    (Some("hub_challenge"), Some((key, Expr::Path(field)))) if key == "verify_token" => {
                        field.path.get_ident().cloned().map(|verify_token| HandshakeAttr::HubChallenge { verify_token })
                    }
                    (Some("sns"), Some((key, Expr::Lit(ExprLit { lit: Lit::Str(host), .. })))) if key == "host" => {
                        Some(HandshakeAttr::Sns { host: Some(host.clone()) })
                    }
                    _ => {
                        errors.at(value, USAGE);
                        None
                    }
                }
            }
            _ => {
                errors.at(value, USAGE);
                None
            }
        }
    }

    pub(crate) fn expand(&self, config: &Type) -> TokenStream {
        match self {
            HandshakeAttr::Slack => quote!(::aqueduct::__private::Handshake::Slack),
            HandshakeAttr::Sns { host } => {
                let host = match host {
                    Some(host) => quote!(::std::option::Option::Some(#host)),
                    None => quote!(::std::option::Option::None),
                };
                quote!(::aqueduct::__private::Handshake::Sns { host: #host })
            }
            HandshakeAttr::HubChallenge { verify_token } => {
                let collect = quote_spanned! {verify_token.span()=>
                    ::aqueduct::__private::SecretField::collect(&config.#verify_token, &mut all);
                };
                quote! {
                    ::aqueduct::__private::Handshake::HubChallenge {
                        verify_token: {
                            fn verify_token(config: &#config) -> ::std::vec::Vec<&::aqueduct::Secret> {
                                let mut all = ::std::vec::Vec::new();
                                #collect
                                all
                            }
                            verify_token
                        },
                    }
                }
            }
        }
    }
}
