//! Standard Webhooks (<https://www.standardwebhooks.com>): HMAC-SHA256 of `id.timestamp.body`
//! with a base64 key (`whsec_…`), several space-separated `v1,<base64>` signatures allowed.

use super::{check_timestamp, header, hmac_matches};
use crate::model::{Secret, VerifyError};
use base64::Engine;
use http::HeaderMap;

pub(super) fn verify(secrets: &[&Secret], headers: &HeaderMap, body: &[u8], now: i64) -> Result<(), VerifyError> {
    let id = header(headers, "webhook-id")?;
    let timestamp = header(headers, "webhook-timestamp")?;
    let signatures = header(headers, "webhook-signature")?;
    check_timestamp(timestamp, now)?;
    let tags: Vec<Vec<u8>> = signatures
        .split(' ')
        .filter_map(|signature| signature.split_once(','))
        .filter(|(version, _)| *version == "v1")
        .filter_map(|(_, encoded)| base64::engine::general_purpose::STANDARD.decode(encoded).ok())
        .collect();
    if tags.is_empty() {
        return Err(VerifyError::new("the `webhook-signature` header holds no `v1,…` signature"));
    }
    // One malformed secret among rotated ones must not refuse every delivery, nor tell the
    // sender about our configuration: it is skipped, and logged here only.
    let keys: Vec<Vec<u8>> = secrets
        .iter()
        .filter_map(|secret| {
            let key = key(secret);
            if key.is_none() {
                tracing::error!("a configured Standard Webhooks secret is not `whsec_` and base64; it is ignored");
            }
            key
        })
        .collect();
    if keys.is_empty() {
        return Err(VerifyError::no_match());
    }
    let signed = [id.as_bytes(), b".", timestamp.as_bytes(), b".", body];
    let matches = keys.iter().any(|key| tags.iter().any(|tag| hmac_matches(key, &signed, tag)));
    if matches { Ok(()) } else { Err(VerifyError::no_match()) }
}

/// The key is the base64 after the optional `whsec_` prefix; `None` when it is not base64 or empty.
pub(super) fn key(secret: &Secret) -> Option<Vec<u8>> {
    let encoded = secret.expose().strip_prefix("whsec_").unwrap_or(secret.expose());
    base64::engine::general_purpose::STANDARD.decode(encoded).ok().filter(|key| !key.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of the specification's reference library (libraries/rust, `test_sign`).
    const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const TIMESTAMP: i64 = 1649367553;
    const BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
    const SIGNATURE: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

    fn headers(timestamp: i64, signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("webhook-id", ID.parse().unwrap());
        headers.insert("webhook-timestamp", timestamp.to_string().parse().unwrap());
        headers.insert("webhook-signature", signature.parse().unwrap());
        headers
    }

    #[test]
    fn the_specification_test_vector_verifies() {
        let secret = Secret::new(SECRET);
        assert_eq!(verify(&[&secret], &headers(TIMESTAMP, SIGNATURE), BODY, TIMESTAMP), Ok(()));
    }

    #[test]
    fn a_tampered_body_or_a_wrong_secret_fails() {
        let secret = Secret::new(SECRET);
        let tampered = br#"{"email":"test@example.com","username":"test_usr"}"#;
        assert_eq!(
            verify(&[&secret], &headers(TIMESTAMP, SIGNATURE), tampered, TIMESTAMP),
            Err(VerifyError::no_match())
        );
        let wrong = Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assert_eq!(verify(&[&wrong], &headers(TIMESTAMP, SIGNATURE), BODY, TIMESTAMP), Err(VerifyError::no_match()));
    }

    #[test]
    fn a_timestamp_301_seconds_old_or_ahead_fails_and_300_passes() {
        let secret = Secret::new(SECRET);
        let signed = headers(TIMESTAMP, SIGNATURE);
        assert!(verify(&[&secret], &signed, BODY, TIMESTAMP + 301).unwrap_err().to_string().contains("301s old"));
        assert!(verify(&[&secret], &signed, BODY, TIMESTAMP - 301).unwrap_err().to_string().contains("301s ahead"));
        assert_eq!(verify(&[&secret], &signed, BODY, TIMESTAMP + 300), Ok(()));
        assert_eq!(verify(&[&secret], &signed, BODY, TIMESTAMP - 300), Ok(()));
    }

    #[test]
    fn one_valid_signature_among_several_is_enough() {
        let secret = Secret::new(SECRET);
        let several = format!(
            "v1,tFtCZ5RDCPxzWQRWXWPgrCgE2frDBe9gjpbWQxnVfsQ= v2,abc {SIGNATURE} v1,9DfC1c3eeOrXB6w/5dIDydLNQaEyww5KalE5jLBZucE="
        );
        assert_eq!(verify(&[&secret], &headers(TIMESTAMP, &several), BODY, TIMESTAMP), Ok(()));
        let none_valid =
            "v1,tFtCZ5RDCPxzWQRWXWPgrCgE2frDBe9gjpbWQxnVfsQ= v1,9DfC1c3eeOrXB6w/5dIDydLNQaEyww5KalE5jLBZucE=";
        assert_eq!(verify(&[&secret], &headers(TIMESTAMP, none_valid), BODY, TIMESTAMP), Err(VerifyError::no_match()));
    }

    #[test]
    fn a_rotated_secret_verifies_while_both_are_configured() {
        let (new, old) = (Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), Secret::new(SECRET));
        assert_eq!(verify(&[&new, &old], &headers(TIMESTAMP, SIGNATURE), BODY, TIMESTAMP), Ok(()));
    }

    #[test]
    fn a_malformed_rotated_secret_is_skipped_not_fatal() {
        let (malformed, good) = (Secret::new("whsec_not base64!"), Secret::new(SECRET));
        assert_eq!(verify(&[&malformed, &good], &headers(TIMESTAMP, SIGNATURE), BODY, TIMESTAMP), Ok(()));
        let empty = Secret::new("whsec_");
        assert_eq!(verify(&[&empty], &headers(TIMESTAMP, SIGNATURE), BODY, TIMESTAMP), Err(VerifyError::no_match()));
    }

    #[test]
    fn an_extreme_timestamp_is_refused_without_overflowing() {
        let secret = Secret::new(SECRET);
        for extreme in [i64::MIN, i64::MAX] {
            let error = verify(&[&secret], &headers(extreme, SIGNATURE), BODY, TIMESTAMP).unwrap_err();
            assert!(error.to_string().contains("more than the 300s allowed"), "{error}");
        }
    }

    #[test]
    fn each_missing_header_fails() {
        let secret = Secret::new(SECRET);
        for missing in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
            let mut partial = headers(TIMESTAMP, SIGNATURE);
            partial.remove(missing);
            assert_eq!(verify(&[&secret], &partial, BODY, TIMESTAMP), Err(VerifyError::missing(missing)));
        }
    }
}
