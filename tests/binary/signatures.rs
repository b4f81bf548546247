//! Signed webhooks: a delivery whose signature does not verify gets 401 and stores nothing.

use crate::support::{Binary, Server, github_signature, hmac_sha256};
use base64::Engine;

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const PREVIOUS: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const GITHUB_SECRET: &str = "It's a Secret to Everybody";

/// Standard Webhooks headers for `body`, signed with `secret` at `timestamp`.
fn standard_headers(secret: &str, timestamp: i64, body: &str) -> Vec<(&'static str, String)> {
    let key = base64::engine::general_purpose::STANDARD.decode(secret.trim_start_matches("whsec_")).unwrap();
    let signature = hmac_sha256(&key, format!("msg_1.{timestamp}.{body}").as_bytes());
    vec![
        ("webhook-id", "msg_1".into()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(signature))),
    ]
}

async fn send(
    server: &Server,
    path: &str,
    headers: Vec<(&'static str, String)>,
    body: &str,
) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new().post(server.hook("a", path)).body(body.to_owned());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn standard_webhooks_deliveries_are_verified_before_they_are_stored() {
    let binary = Binary::example("probe");
    let server = binary.serve(&["serve"]);
    let config = format!(
        "label = \"a\"\nsigning_secret = \"{SECRET}\"\nprevious_signing_secret = \"{PREVIOUS}\"\ngithub_secret = \"{GITHUB_SECRET}\""
    );
    assert!(binary.activate("a", &config, &server.url).status.success());
    let now = jiff::Timestamp::now().as_second();
    let body = r#"{"order":42}"#;

    let (status, answer) = send(&server, "/standard", standard_headers(SECRET, now, body), body).await;
    assert_eq!(status, 202, "a valid signature: {answer}");
    let (status, _) = send(&server, "/standard", standard_headers(PREVIOUS, now, body), body).await;
    assert_eq!(status, 202, "signed with the previous secret while both are configured");

    let refusals = [
        ("a tampered body", standard_headers(SECRET, now, body), r#"{"order":43}"#, "no signature"),
        ("a wrong secret", standard_headers("whsec_dGhlIHdyb25nIHNlY3JldA==", now, body), body, "no signature"),
        // The exact 301s bounds are unit-tested (verify/standard_webhooks.rs); across processes the
        // clock moves between signing and checking, so these stay clear of the edge.
        ("a timestamp 310s old", standard_headers(SECRET, now - 310, body), body, "s old"),
        ("a timestamp 310s ahead", standard_headers(SECRET, now + 310, body), body, "s ahead"),
        (
            "no signature header",
            standard_headers(SECRET, now, body).into_iter().take(2).collect(),
            body,
            "webhook-signature",
        ),
    ];
    for (case, headers, sent, reason) in refusals {
        let (status, answer) = send(&server, "/standard", headers, sent).await;
        assert_eq!(status, 401, "{case}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains(reason), "{case}: {answer}");
    }
    assert_eq!(binary.runs_of("standard"), 2, "a refused delivery was stored");
    drop(server);
    let log = std::fs::read_to_string(binary.dir().join("server.log")).unwrap();
    assert!(log.contains("refused a delivery whose signature does not verify"), "{log}");
    for secret in [SECRET, PREVIOUS, "C2FVsBQIhrscChlQIMV"] {
        assert!(!log.contains(secret), "the log shows a secret");
    }
}

#[tokio::test]
async fn github_signatures_are_verified_and_an_empty_or_malformed_secret_is_refused_at_activation() {
    let binary = Binary::example("probe");
    let server = binary.serve(&["serve"]);
    assert!(
        binary
            .activate("a", &format!("label = \"a\"\ngithub_secret = \"{GITHUB_SECRET}\""), &server.url)
            .status
            .success()
    );
    let signature = github_signature(GITHUB_SECRET, b"Hello, World!");
    assert_eq!(
        signature, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        "GitHub's example"
    );

    let (status, _) = send(&server, "/github", vec![("X-Hub-Signature-256", signature.clone())], "Hello, World!").await;
    assert_eq!(status, 202);
    let (status, _) = send(&server, "/github", vec![("X-Hub-Signature-256", signature)], "Hello, World?").await;
    assert_eq!(status, 401);
    let (status, answer) = send(&server, "/standard", vec![], "{}").await;
    assert_eq!(status, 401, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("no signing secret configured"), "{answer}");
    assert_eq!(binary.runs_of("github"), 1);

    // An empty secret is a key anyone could sign with, and a Standard Webhooks secret that is
    // not `whsec_` and base64 verifies nothing: activation refuses both, naming the field, and
    // the instance keeps the configuration it had.
    for (config, field, reason) in [
        ("github_secret = \"\"", "github_secret", "it is empty"),
        ("signing_secret = \"hunter2!\"", "signing_secret", "it is not a Standard Webhooks secret"),
        ("hub_token = \" \"", "hub_token", "an empty verify token"),
    ] {
        let refused = binary.activate("a", &format!("label = \"a\"\n{config}"), &server.url);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success(), "{stderr}");
        assert!(stderr.contains(&format!("does not fit at `{field}`")) && stderr.contains(reason), "{stderr}");
        assert!(!stderr.contains("hunter2"), "the error shows the secret: {stderr}");
    }
    let signature = github_signature(GITHUB_SECRET, b"again");
    let (status, answer) = send(&server, "/github", vec![("X-Hub-Signature-256", signature)], "again").await;
    assert_eq!(status, 202, "the earlier secret still verifies: {answer}");
    let forged = github_signature("", b"forged");
    let (status, _) = send(&server, "/github", vec![("X-Hub-Signature-256", forged)], "forged").await;
    assert_eq!(status, 401);
    assert_eq!(binary.runs_of("github"), 2);
}
