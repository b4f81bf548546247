//! `handshake = …`: the subscription handshake a provider asks an endpoint to answer.

use crate::call::Call;
use crate::errors::Errors;
use syn::{Expr, Ident, LitStr};

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
        let Some(call) = Call::of(value) else {
            errors.at(value, USAGE);
            return None;
        };
        match (call.name.to_string().as_str(), call.parens) {
            ("slack", false) => Some(HandshakeAttr::Slack),
            ("sns", false) => Some(HandshakeAttr::Sns { host: None }),
            ("sns", true) => {
                let host = call.named_arguments(&["host"], errors).required("host", value, USAGE, errors)?;
                Some(HandshakeAttr::Sns { host: Some(host.string("hooks.example.com", errors)?) })
            }
            ("hub_challenge", true) => {
                let arguments = call.named_arguments(&["verify_token"], errors);
                let verify_token = arguments.required("verify_token", value, USAGE, errors)?;
                Some(HandshakeAttr::HubChallenge { verify_token: verify_token.field("hub_verify_token", errors)? })
            }
            _ => {
                errors.at(value, USAGE);
                None
            }
        }
    }
}
