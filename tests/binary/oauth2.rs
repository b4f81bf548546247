//! OAuth2 connections as a server keeps them: the token an instance's runs share survives a
//! restart and a key rotation, a revoked one is renewed with the newest refresh token, and
//! none of them is in the store file, the command line's output or the log.

use crate::retries::accepted;
use crate::secrets::{holds, store_bytes};
use crate::support::{Binary, Server};
use crate::webhooks::finished_run;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Every token the test's endpoint hands out, and the refresh token the customer authorised.
const TOKENS: [&str; 5] = ["refresh-R0-authorised", "access-A1", "refresh-R1", "access-A2", "refresh-R2"];

/// A token endpoint that takes R0 for A1 (and R1), then R1 for A2 (and R2); an API that takes A1
/// and A2.
async fn crm() -> MockServer {
    let crm = MockServer::start().await;
    for (refresh, access, next) in
        [("refresh-R0-authorised", "access-A1", "refresh-R1"), ("refresh-R1", "access-A2", "refresh-R2")]
    {
        let token = serde_json::json!({ "access_token": access, "token_type": "Bearer", "expires_in": 3600, "refresh_token": next });
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .and(body_string_contains(format!("refresh_token={refresh}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(token))
            .mount(&crm)
            .await;
    }
    for access in ["access-A1", "access-A2"] {
        api_answers(&crm, access, 200, 5).await;
    }
    crm
}

async fn api_answers(crm: &MockServer, access: &str, status: u16, priority: u8) {
    Mock::given(method("GET"))
        .and(path("/contacts"))
        .and(header("authorization", format!("Bearer {access}").as_str()))
        .respond_with(ResponseTemplate::new(status))
        .with_priority(priority)
        .mount(crm)
        .await;
}

/// The refresh tokens the token endpoint was sent, in order.
async fn refreshed_with(crm: &MockServer) -> Vec<String> {
    let requests = crm.received_requests().await.unwrap();
    let bodies = requests.iter().filter(|request| request.url.path() == "/oauth/token");
    let field = |body: &[u8]| {
        let body = String::from_utf8_lossy(body).into_owned();
        form_urlencoded::parse(body.as_bytes()).find(|(name, _)| name == "refresh_token").unwrap().1.into_owned()
    };
    bodies.map(|request| field(&request.body)).collect()
}

/// A run of `/contacts` for instance `a`: its status.
async fn call(binary: &Binary, server: &Server) -> String {
    let id = accepted(&reqwest::Client::new(), &server.hook("a", "/contacts"), "").await;
    let run = finished_run(binary, id);
    format!("{} {}", run["status"].as_str().unwrap(), binary.run_detail(id)["error"])
}

#[tokio::test]
async fn a_refreshed_token_survives_a_restart_and_a_key_rotation_and_is_never_in_the_clear() {
    let crm = crm().await;
    let binary = Binary::example("probe");
    let mut server = binary.serve_logging(&["serve"], "debug");
    let config = format!(
        "label = \"a\"\napi_url = \"{0}/\"\n[crm]\ntype = \"oauth2_refresh_token\"\ntoken_url = \"{0}/oauth/token\"\n\
         client_id = \"probe\"\nclient_secret = \"client-secret-S\"\nrefresh_token = \"refresh-R0-authorised\"",
        crm.uri()
    );
    assert!(binary.activate("a", &config, &server.url).status.success());
    assert_eq!(call(&binary, &server).await, "succeeded null");
    assert_eq!(call(&binary, &server).await, "succeeded null");
    assert_eq!(refreshed_with(&crm).await, ["refresh-R0-authorised"], "the instance's runs share one token");

    // A restarted server uses the stored token: no new authorisation.
    let mut logs = server.output();
    server.terminate();
    let mut server = binary.serve_logging(&["serve"], "debug");
    assert_eq!(call(&binary, &server).await, "succeeded null");
    assert_eq!(refreshed_with(&crm).await, ["refresh-R0-authorised"]);

    // A1 is revoked: the 401 renews it once, with the refresh token that came with A1.
    api_answers(&crm, "access-A1", 401, 1).await;
    assert_eq!(call(&binary, &server).await, "succeeded null");
    assert_eq!(refreshed_with(&crm).await, ["refresh-R0-authorised", "refresh-R1"]);

    // Rotating the key seals the stored token again; the next server opens it and uses A2.
    logs += &server.output();
    server.terminate();
    let rotated = binary.ok(&["instances", "rotate-key"]);
    let server = binary.serve_logging(&["serve"], "debug");
    assert_eq!(call(&binary, &server).await, "succeeded null");
    assert_eq!(refreshed_with(&crm).await.len(), 2, "A2 came from the store, opened with the new key");

    let bytes = store_bytes(&binary);
    let stored: i64 = binary.database().query_row("SELECT count(*) FROM tokens", [], |row| row.get(0)).unwrap();
    assert_eq!(stored, 1);
    let shown = [binary.ok(&["runs", "--json"]), binary.ok(&["instances", "list", "--json"]), rotated];
    logs += &server.output();
    for secret in TOKENS.iter().chain(&["client-secret-S"]) {
        assert!(!holds(&bytes, secret), "the store file holds {secret} in the clear");
        assert!(!shown.iter().any(|output| output.contains(secret)), "the command line showed {secret}");
        assert!(!logs.contains(secret), "the log holds {secret}");
    }

    // Deactivating forgets the instance's tokens.
    binary.ok(&["instances", "deactivate", "a"]);
    let stored: i64 = binary.database().query_row("SELECT count(*) FROM tokens", [], |row| row.get(0)).unwrap();
    assert_eq!(stored, 0);
}
