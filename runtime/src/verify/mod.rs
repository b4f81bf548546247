//! Webhook signature verification: the schemes providers use, checked before a delivery is
//! stored. Every comparison is constant-time (`hmac`'s `verify_slice`); a failure says why
//! without showing a secret or the expected signature.

mod hmac_header;
mod signed_timestamp;
mod standard_webhooks;

use crate::ingress::Request;
use crate::secret::Secret;
use std::fmt;

/// How long a signed timestamp stays valid, either way: 5 minutes, as the schemes recommend.
pub(crate) const TOLERANCE_SECONDS: i64 = 300;

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

    fn missing(header: &str) -> VerifyError {
        VerifyError::new(format!("the `{header}` header is missing"))
    }

    fn no_match() -> VerifyError {
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

/// The secrets a delivery may be signed with: one, or two while a customer rotates.
#[doc(hidden)]
pub type SecretsOf<C> = for<'a> fn(&'a C) -> Vec<&'a Secret>;

/// A custom verifier: `verify = my_fn`.
#[doc(hidden)]
pub type CustomVerifier<C> = fn(&C, &Request) -> Result<(), VerifyError>;

/// What `verify = …` on a flow turns into.
#[doc(hidden)]
pub enum Verifier<C: 'static> {
    Signed { scheme: Scheme, secrets: SecretsOf<C> },
    Custom(CustomVerifier<C>),
}

impl<C> Verifier<C> {
    /// Checks `request` against the instance's `config`.
    pub(crate) fn verify(&self, config: &C, request: &Request) -> Result<(), VerifyError> {
        match self {
            Verifier::Custom(check) => check(config, request),
            Verifier::Signed { scheme, secrets } => {
                // An empty secret is a key anyone can sign with: it counts as none.
                let secrets: Vec<&Secret> =
                    secrets(config).into_iter().filter(|secret| !secret.expose().trim().is_empty()).collect();
                if secrets.is_empty() {
                    return Err(VerifyError::new("this instance has no signing secret configured"));
                }
                let now = jiff::Timestamp::now().as_second();
                let (headers, body) = (request.headers(), request.body());
                match *scheme {
                    Scheme::HmacSha256 { header, prefix, encoding } => {
                        hmac_header::verify(&secrets, headers, body, header, prefix, encoding)
                    }
                    Scheme::StandardWebhooks => standard_webhooks::verify(&secrets, headers, body, now),
                    Scheme::Stripe => signed_timestamp::verify_stripe(&secrets, headers, body, now),
                    Scheme::Slack => signed_timestamp::verify_slack(&secrets, headers, body, now),
                }
            }
        }
    }
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
    fn collect<'a>(&'a self, into: &mut Vec<&'a Secret>);
}

impl SecretField for Secret {
    fn collect<'a>(&'a self, into: &mut Vec<&'a Secret>) {
        into.push(self);
    }
}

impl SecretField for Option<Secret> {
    fn collect<'a>(&'a self, into: &mut Vec<&'a Secret>) {
        into.extend(self);
    }
}

impl SecretField for Vec<Secret> {
    fn collect<'a>(&'a self, into: &mut Vec<&'a Secret>) {
        into.extend(self);
    }
}

/// A header's value as text, or why not.
fn header<'a>(headers: &'a http::HeaderMap, name: &str) -> Result<&'a str, VerifyError> {
    let value = headers.get(name).ok_or_else(|| VerifyError::missing(name))?;
    value.to_str().map_err(|_| VerifyError::new(format!("the `{name}` header is not text")))
}

/// Checks a signed timestamp (Unix seconds) is within [`TOLERANCE_SECONDS`] of `now`, either way.
fn check_timestamp(timestamp: &str, now: i64) -> Result<(), VerifyError> {
    let signed_at: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::new(format!("the timestamp `{timestamp}` is not a number")))?;
    // `abs_diff` because a hostile timestamp such as `i64::MIN` would overflow a subtraction.
    let apart = now.abs_diff(signed_at);
    if apart <= TOLERANCE_SECONDS.unsigned_abs() {
        return Ok(());
    }
    let when = if signed_at < now { "old" } else { "ahead" };
    Err(VerifyError::new(format!("the signature is {apart}s {when}, more than the {TOLERANCE_SECONDS}s allowed")))
}

/// Whether `tag` is HMAC-SHA256 of `parts` under `key`, compared in constant time.
fn hmac_matches(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.verify_slice(tag).is_ok()
}
