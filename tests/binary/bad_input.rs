//! Bad requests get a clear answer and never create a run.

use crate::support::{Binary, Server};
use crate::webhooks::{accept_registration, inventory_config};
use serde_json::Value;
use wiremock::MockServer;

async fn post(server: &Server, instance: &str, path: &str, body: &str) -> (u16, Value) {
    let response = reqwest::Client::new().post(server.hook(instance, path)).body(body.to_owned()).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn bad_requests_are_refused_and_store_nothing() {
    let fake = MockServer::start().await;
    accept_registration(&fake).await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .mount(&fake)
        .await;
    let binary = Binary::example("inventory_sync");
    let server = binary.serve(&["serve"]);
    assert!(binary.activate("acme", &inventory_config(&fake), &server.url).status.success());
    assert!(binary.activate("gone", &inventory_config(&fake), &server.url).status.success());
    binary.ok(&["instances", "deactivate", "gone"]);
    let runs_before = binary.runs_of("stock_changed");

    let (status, body) = post(&server, "acme", "/inventory", r#"{"updates": ["#).await;
    assert_eq!(status, 400, "invalid JSON: {body}");
    assert!(body["error"].as_str().unwrap().contains("not valid JSON"), "{body}");

    let wrong_type = r#"{"updates":[{"item":"widgets","action":"add","quantity":"twenty"}]}"#;
    let (status, body) = post(&server, "acme", "/inventory", wrong_type).await;
    assert_eq!(status, 422, "a field of the wrong type: {body}");
    assert_eq!(body["path"], "updates[0].quantity");

    let unknown_action = r#"{"updates":[{"item":"widgets","action":"steal","quantity":1}]}"#;
    let (status, body) = post(&server, "acme", "/inventory", unknown_action).await;
    assert_eq!(status, 422, "an unknown enum value: {body}");
    assert_eq!(body["path"], "updates[0].action");

    let (status, body) = post(&server, "acme", "/inventory", r#"{"updates":[{"item":"widgets"}]}"#).await;
    assert_eq!(status, 422, "a missing field: {body}");
    assert!(body["error"].as_str().unwrap().contains("missing field `action`"), "{body}");

    let valid = r#"{"updates":[]}"#;
    let (status, body) = post(&server, "acme", "/nowhere", valid).await;
    assert_eq!(status, 404, "an unknown path: {body}");
    let (status, body) = post(&server, "nobody", "/inventory", valid).await;
    assert_eq!(status, 404, "an unknown instance: {body}");
    assert!(body["error"].as_str().unwrap().contains("nobody"), "{body}");
    let (status, _) = post(&server, "gone", "/inventory", valid).await;
    assert_eq!(status, 404, "an inactive instance");
    let get = reqwest::get(server.hook("acme", "/inventory")).await.unwrap();
    assert_eq!(get.status(), 405, "a webhook takes POST only");

    assert_eq!(binary.runs_of("stock_changed"), runs_before, "a refused request created a run");
}

/// A payload's problem is reported at the field the sender must fix, and the refusal is logged.
#[tokio::test]
async fn a_missing_field_is_named_by_its_own_path_and_refusals_are_logged() {
    let fake = MockServer::start().await;
    accept_registration(&fake).await;
    let binary = Binary::example("inventory_sync");
    let server = binary.serve(&["serve"]);
    assert!(binary.activate("acme", &inventory_config(&fake), &server.url).status.success());

    let (status, body) = post(&server, "acme", "/inventory", "{}").await;
    assert_eq!((status, &body["path"]), (422, &Value::from("updates")), "{body}");
    let (status, body) = post(&server, "acme", "/inventory", r#"{"updates":[{"item":"widgets"}]}"#).await;
    assert_eq!((status, &body["path"]), (422, &Value::from("updates[0].action")), "{body}");
    let (status, body) = post(&server, "acme", "/inventory", "[]").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.get("path").is_none(), "the whole payload is the wrong shape: {body}");
    server.wait_for_log(&["refused a delivery", "status=422", "acme"], 3, crate::support::PATIENCE);
}
