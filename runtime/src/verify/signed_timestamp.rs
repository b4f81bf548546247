//! Schemes that sign `timestamp` and body together with the secret as it is: Stripe
//! (`Stripe-Signature: t=…,v1=<hex>`, over `t.body`) and Slack (`X-Slack-Signature: v0=<hex>`,
//! over `v0:t:body`).

use super::{check_timestamp, header, hmac_matches};
use crate::model::{Secret, VerifyError};
use http::HeaderMap;

pub(super) fn verify_stripe(
    secrets: &[&Secret],
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), VerifyError> {
    let value = header(headers, "stripe-signature")?;
    let pairs: Vec<(&str, &str)> = value.split(',').filter_map(|pair| pair.trim().split_once('=')).collect();
    let timestamp = pairs
        .iter()
        .find(|(key, _)| *key == "t")
        .map(|(_, value)| *value)
        .ok_or_else(|| VerifyError::new("the `stripe-signature` header has no `t=` timestamp"))?;
    check_timestamp(timestamp, now)?;
    let tags: Vec<Vec<u8>> =
        pairs.iter().filter(|(key, _)| *key == "v1").filter_map(|(_, value)| hex::decode(value).ok()).collect();
    if tags.is_empty() {
        return Err(VerifyError::new("the `stripe-signature` header has no `v1=` signature"));
    }
    let signed = [timestamp.as_bytes(), b".", body];
    matches_any(secrets, &signed, &tags)
}

pub(super) fn verify_slack(secrets: &[&Secret], headers: &HeaderMap, body: &[u8], now: i64) -> Result<(), VerifyError> {
    let timestamp = header(headers, "x-slack-request-timestamp")?;
    let signature = header(headers, "x-slack-signature")?;
    check_timestamp(timestamp, now)?;
    let tag = signature
        .strip_prefix("v0=")
        .and_then(|encoded| hex::decode(encoded).ok())
        .ok_or_else(|| VerifyError::new("the `x-slack-signature` header is not `v0=` and hex"))?;
    let signed = [b"v0:".as_slice(), timestamp.as_bytes(), b":", body];
    matches_any(secrets, &signed, &[tag])
}

fn matches_any(secrets: &[&Secret], signed: &[&[u8]], tags: &[Vec<u8>]) -> Result<(), VerifyError> {
    let matches =
        secrets.iter().any(|secret| tags.iter().any(|tag| hmac_matches(secret.expose().as_bytes(), signed, tag)));
    if matches { Ok(()) } else { Err(VerifyError::no_match()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slack's published example ("Verifying requests from Slack").
    const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const SLACK_TIMESTAMP: i64 = 1531420618;
    const SLACK_BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SLACK_SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    fn slack_headers(timestamp: i64, signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-slack-request-timestamp", timestamp.to_string().parse().unwrap());
        headers.insert("x-slack-signature", signature.parse().unwrap());
        headers
    }

    #[test]
    fn slack_test_vector() {
        let secret = Secret::new(SLACK_SECRET);
        let headers = slack_headers(SLACK_TIMESTAMP, SLACK_SIGNATURE);
        assert_eq!(verify_slack(&[&secret], &headers, SLACK_BODY.as_bytes(), SLACK_TIMESTAMP), Ok(()));
        let tampered = SLACK_BODY.replace("roadrunner", "coyote");
        assert_eq!(
            verify_slack(&[&secret], &headers, tampered.as_bytes(), SLACK_TIMESTAMP),
            Err(VerifyError::no_match())
        );
        assert!(verify_slack(&[&secret], &headers, SLACK_BODY.as_bytes(), SLACK_TIMESTAMP + 301).is_err());
        assert!(verify_slack(&[&secret], &headers, SLACK_BODY.as_bytes(), SLACK_TIMESTAMP - 301).is_err());
    }

    /// Stripe publishes no vector; this signs as Stripe documents: HMAC-SHA256 of `t.body`.
    fn stripe_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
        use hmac::{KeyInit, Mac};
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.").as_bytes());
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn stripe_signatures() {
        let secret = Secret::new("whsec_test_secret");
        let body = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
        let now = 1_700_000_000;
        let good = stripe_signature("whsec_test_secret", now, body);
        let mut headers = HeaderMap::new();
        let value = format!(
            "t={now},v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,v1={good},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"
        );
        headers.insert("stripe-signature", value.parse().unwrap());
        assert_eq!(verify_stripe(&[&secret], &headers, body, now), Ok(()));
        assert_eq!(verify_stripe(&[&secret], &headers, b"{}", now), Err(VerifyError::no_match()));
        assert!(verify_stripe(&[&secret], &headers, body, now + 301).unwrap_err().to_string().contains("old"));
        assert!(verify_stripe(&[&secret], &headers, body, now - 301).unwrap_err().to_string().contains("ahead"));
        assert_eq!(
            verify_stripe(&[&secret], &HeaderMap::new(), body, now),
            Err(VerifyError::missing("stripe-signature"))
        );
        let other = Secret::new("whsec_other");
        assert_eq!(verify_stripe(&[&other, &secret], &headers, body, now), Ok(()), "a rotated secret");
        assert_eq!(verify_stripe(&[&other], &headers, body, now), Err(VerifyError::no_match()));
    }
}
