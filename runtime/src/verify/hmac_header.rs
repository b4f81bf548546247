//! HMAC-SHA256 of the body in one header: GitHub (`X-Hub-Signature-256: sha256=<hex>`),
//! Shopify (`X-Shopify-Hmac-Sha256: <base64>`) and many others.

use super::{header, hmac_matches};
use crate::model::{Encoding, Secret, VerifyError};
use base64::Engine;
use http::HeaderMap;

pub(super) fn verify(
    secrets: &[&Secret],
    headers: &HeaderMap,
    body: &[u8],
    name: &str,
    prefix: &str,
    encoding: Encoding,
) -> Result<(), VerifyError> {
    let value = header(headers, name)?;
    let encoded = value
        .strip_prefix(prefix)
        .ok_or_else(|| VerifyError::new(format!("the `{name}` header does not start with `{prefix}`")))?;
    let tag = match encoding {
        Encoding::Hex => hex::decode(encoded.trim()).ok(),
        Encoding::Base64 => base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok(),
    }
    .ok_or_else(|| VerifyError::new(format!("the `{name}` header is not a {encoding:?} signature")))?;
    let matches = secrets.iter().any(|secret| hmac_matches(secret.expose().as_bytes(), &[body], &tag));
    if matches { Ok(()) } else { Err(VerifyError::no_match()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-hub-signature-256", value.parse().unwrap());
        headers
    }

    /// GitHub's published example ("Validating webhook deliveries", testing the validation).
    const GITHUB_SECRET: &str = "It's a Secret to Everybody";
    const GITHUB_SIGNATURE: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    fn github(secrets: &[&Secret], headers: &HeaderMap, body: &[u8]) -> Result<(), VerifyError> {
        verify(secrets, headers, body, "x-hub-signature-256", "sha256=", Encoding::Hex)
    }

    #[test]
    fn github_test_vector() {
        let secret = Secret::new(GITHUB_SECRET);
        assert_eq!(github(&[&secret], &signed(GITHUB_SIGNATURE), b"Hello, World!"), Ok(()));
    }

    #[test]
    fn a_tampered_body_or_a_wrong_secret_fails() {
        let secret = Secret::new(GITHUB_SECRET);
        assert_eq!(github(&[&secret], &signed(GITHUB_SIGNATURE), b"Hello, World?"), Err(VerifyError::no_match()));
        let wrong = Secret::new("It's a Secret to Nobody");
        assert_eq!(github(&[&wrong], &signed(GITHUB_SIGNATURE), b"Hello, World!"), Err(VerifyError::no_match()));
    }

    #[test]
    fn a_rotated_secret_verifies_while_both_are_configured() {
        let (new, old) = (Secret::new("the new one"), Secret::new(GITHUB_SECRET));
        assert_eq!(github(&[&new, &old], &signed(GITHUB_SIGNATURE), b"Hello, World!"), Ok(()));
    }

    #[test]
    fn a_missing_or_malformed_header_fails_and_says_so() {
        let secret = Secret::new(GITHUB_SECRET);
        let error = github(&[&secret], &HeaderMap::new(), b"Hello, World!").unwrap_err();
        assert_eq!(error.to_string(), "the `x-hub-signature-256` header is missing");
        let error = github(&[&secret], &signed("sha1=abc"), b"Hello, World!").unwrap_err();
        assert!(error.to_string().contains("does not start with `sha256=`"), "{error}");
        let error = github(&[&secret], &signed("sha256=zz"), b"Hello, World!").unwrap_err();
        assert!(error.to_string().contains("not a Hex signature"), "{error}");
    }

    #[test]
    fn base64_signatures() {
        let secret = Secret::new(GITHUB_SECRET);
        let tag = hex::decode(&GITHUB_SIGNATURE["sha256=".len()..]).unwrap();
        let encoded = base64::engine::general_purpose::STANDARD.encode(tag);
        let headers = signed(&encoded);
        assert_eq!(verify(&[&secret], &headers, b"Hello, World!", "x-hub-signature-256", "", Encoding::Base64), Ok(()));
    }
}
