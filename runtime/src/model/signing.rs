//! How an endpoint's signatures are declared (`verify = …`): the schemes, the secrets they are
//! checked with, and why a check fails. The checks themselves are in `verify/`.

use super::request::Request;
use super::secret::Secret;
use std::fmt;

/// Why a delivery's signature did not verify; safe to log and to tell the sender.
///
/// A custom verifier (`verify = my_check`) takes the instance's configuration and the request
/// and returns it:
///
/// ```
/// use aqueduct::{Request, VerifyError};
///
/// struct Settings { account_id: String }
///
/// /// This provider sends the account it acts for; deliveries for another account are refused.
/// fn my_check(settings: &Settings, request: &Request) -> Result<(), VerifyError> {
///     let account = request.headers().get("x-account-id").ok_or(VerifyError::new("the x-account-id header is missing"))?;
///     if account.as_bytes() == settings.account_id.as_bytes() { Ok(()) } else { Err(VerifyError::new("another account's delivery")) }
/// }
///
/// let settings = Settings { account_id: "acct_1".into() };
/// assert!(my_check(&settings, &Request::default()).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError {
    reason: String,
}

impl VerifyError {
    /// A failure with this reason (never include a secret or an expected signature).
    pub fn new(reason: impl Into<String>) -> VerifyError {
        VerifyError { reason: reason.into() }
    }

    pub(crate) fn missing(header: &str) -> VerifyError {
        VerifyError::new(format!("the `{header}` header is missing"))
    }

    pub(crate) fn no_match() -> VerifyError {
        VerifyError::new("no signature in the request matches the body and secret")
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for VerifyError {}

/// How a signature is encoded in its header.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Hex,
    Base64,
}

/// A provider's signing scheme, as `verify = …` declares it.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// HMAC-SHA256 of the body in one header, e.g. GitHub's `X-Hub-Signature-256: sha256=…`.
    HmacSha256 { header: &'static str, prefix: &'static str, encoding: Encoding },
    /// <https://www.standardwebhooks.com>: `webhook-id`, `webhook-timestamp`, `webhook-signature`.
    StandardWebhooks,
    /// Stripe's `Stripe-Signature: t=…,v1=…`.
    Stripe,
    /// Slack's `X-Slack-Request-Timestamp` and `X-Slack-Signature: v0=…`.
    Slack,
}

/// The secrets a delivery may be signed with (one, or two while a customer rotates), each
/// with the name of the configuration field it is read from.
#[doc(hidden)]
pub type SecretsOf<C> = for<'a> fn(&'a C) -> Vec<NamedSecret<'a>>;

/// A secret and the configuration field it is read from.
#[doc(hidden)]
pub type NamedSecret<'a> = (&'static str, &'a Secret);

/// A custom verifier: `verify = my_fn`.
#[doc(hidden)]
pub type CustomVerifier<C> = fn(&C, &Request) -> Result<(), VerifyError>;

/// What `verify = …` on a flow turns into.
#[doc(hidden)]
pub enum Verifier<C: 'static> {
    Signed { scheme: Scheme, secrets: SecretsOf<C> },
    Custom(CustomVerifier<C>),
}

/// A configuration field that holds signing secrets: `Secret`, or `Option<Secret>` and
/// `Vec<Secret>` for a second one during rotation.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a signing secret field must be a `Secret`, not `{Self}`",
    label = "named by `secret = …` in `verify`",
    note = "declare the field as `aqueduct::Secret`, or `Option<Secret>` for a second secret while a customer rotates"
)]
pub trait SecretField {
    fn collect<'a>(&'a self, field: &'static str, into: &mut Vec<NamedSecret<'a>>);
}

impl SecretField for Secret {
    fn collect<'a>(&'a self, field: &'static str, into: &mut Vec<NamedSecret<'a>>) {
        into.push((field, self));
    }
}

impl SecretField for Option<Secret> {
    fn collect<'a>(&'a self, field: &'static str, into: &mut Vec<NamedSecret<'a>>) {
        into.extend(self.iter().map(|secret| (field, secret)));
    }
}

impl SecretField for Vec<Secret> {
    fn collect<'a>(&'a self, field: &'static str, into: &mut Vec<NamedSecret<'a>>) {
        into.extend(self.iter().map(|secret| (field, secret)));
    }
}
