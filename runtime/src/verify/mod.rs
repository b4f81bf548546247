//! Webhook signature verification: the schemes providers use, checked before a delivery is
//! stored. Every comparison is constant-time (`hmac`'s `verify_slice`); a failure says why
//! without showing a secret or the expected signature.

mod hmac_header;
mod sign;
mod signed_timestamp;
mod standard_webhooks;

pub(crate) use sign::sign;

use crate::model::{Request, Scheme, Secret, Verifier, VerifyError};

/// How long a signed timestamp stays valid, either way: 5 minutes, as the schemes recommend.
pub(crate) const TOLERANCE_SECONDS: i64 = 300;

/// Checks `request` against the instance's `config` as `verifier` declares.
pub(crate) fn verify<C>(verifier: &Verifier<C>, config: &C, request: &Request) -> Result<(), VerifyError> {
    match verifier {
        Verifier::Custom(check) => check(config, request),
        Verifier::Signed { scheme, secrets } => {
            // An empty secret is a key anyone can sign with: it counts as none. (Activation
            // refuses one, but a store written by an older binary may hold it.)
            let secrets: Vec<&Secret> = secrets(config)
                .into_iter()
                .map(|(_, secret)| secret)
                .filter(|secret| !secret.expose().trim().is_empty())
                .collect();
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

/// Whether `secret` can sign deliveries under `scheme`; the reason when not, naming no secret.
/// Activation checks each configured secret with it, so a customer's typo fails there, not
/// at every delivery.
pub(crate) fn check_secret(scheme: Scheme, secret: &Secret) -> Result<(), String> {
    if secret.expose().trim().is_empty() {
        return Err("it is empty, and a signature made with an empty secret is one anyone can make; \
                    set it to the signing secret the sender shows"
            .into());
    }
    if scheme == Scheme::StandardWebhooks && standard_webhooks::key(secret).is_none() {
        return Err("it is not a Standard Webhooks secret, which is `whsec_` followed by base64 \
                    (e.g. `whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw`), as the sender shows it"
            .into());
    }
    Ok(())
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
