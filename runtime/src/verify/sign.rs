//! Signing a delivery as a provider would, for each scheme: what `testing` sends, so a test
//! of a verified endpoint need not compute signatures itself.

use super::standard_webhooks;
use crate::model::{Encoding, Scheme, Secret};
use base64::Engine as _;
use hmac::{KeyInit, Mac};

/// The headers that sign `body` under `scheme` with `secret` at `now` (Unix seconds);
/// `delivery` names a Standard Webhooks message.
pub(crate) fn sign(scheme: Scheme, secret: &Secret, body: &[u8], now: i64, delivery: &str) -> Vec<(String, String)> {
    let timestamp = now.to_string();
    match scheme {
        Scheme::HmacSha256 { header, prefix, encoding } => {
            let tag = hmac(secret.expose().as_bytes(), &[body]);
            let encoded = match encoding {
                Encoding::Hex => hex::encode(tag),
                Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(tag),
            };
            vec![(header.to_owned(), format!("{prefix}{encoded}"))]
        }
        Scheme::StandardWebhooks => {
            let key = standard_webhooks::key(secret).unwrap_or_default();
            let tag = hmac(&key, &[delivery.as_bytes(), b".", timestamp.as_bytes(), b".", body]);
            vec![
                ("webhook-id".into(), delivery.to_owned()),
                ("webhook-timestamp".into(), timestamp),
                ("webhook-signature".into(), format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(tag))),
            ]
        }
        Scheme::Stripe => {
            let tag = hmac(secret.expose().as_bytes(), &[timestamp.as_bytes(), b".", body]);
            vec![("stripe-signature".into(), format!("t={timestamp},v1={}", hex::encode(tag)))]
        }
        Scheme::Slack => {
            let tag = hmac(secret.expose().as_bytes(), &[b"v0:", timestamp.as_bytes(), b":", body]);
            vec![
                ("x-slack-request-timestamp".into(), timestamp),
                ("x-slack-signature".into(), format!("v0={}", hex::encode(tag))),
            ]
        }
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    parts.iter().for_each(|part| mac.update(part));
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Request, Verifier};

    /// What is signed here verifies there, for every scheme.
    #[test]
    fn every_scheme_verifies_what_it_signs() {
        let schemes = [
            (
                Scheme::HmacSha256 { header: "x-hub-signature-256", prefix: "sha256=", encoding: Encoding::Hex },
                "s3cr3t",
            ),
            (Scheme::HmacSha256 { header: "x-shopify-hmac-sha256", prefix: "", encoding: Encoding::Base64 }, "s3cr3t"),
            (Scheme::StandardWebhooks, "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"),
            (Scheme::Stripe, "whsec_stripe"),
            (Scheme::Slack, "8f742231b10e8888abcd99yyyzzz85a5"),
        ];
        fn secrets(secret: &Secret) -> Vec<(&'static str, &Secret)> {
            vec![("secret", secret)]
        }
        for (scheme, secret) in schemes {
            let now = jiff::Timestamp::now().as_second();
            let mut headers = http::HeaderMap::new();
            for (name, value) in sign(scheme, &Secret::new(secret), b"{\"a\":1}", now, "msg_1") {
                headers.insert(http::HeaderName::try_from(name).unwrap(), value.parse().unwrap());
            }
            let request = Request::new(None, headers, bytes::Bytes::from_static(b"{\"a\":1}"));
            let verifier = Verifier::Signed { scheme, secrets };
            assert_eq!(super::super::verify(&verifier, &Secret::new(secret), &request), Ok(()), "{scheme:?}");
        }
    }
}
