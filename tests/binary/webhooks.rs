//! An accepted webhook runs its flow with the typed payload; the run is recorded.

use crate::support::{Binary, PATIENCE, eventually};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The inventory_sync example's configuration, pointing at `fake`.
pub fn inventory_config(fake: &MockServer) -> String {
    format!(
        "inventory_url = \"{0}/inventory/\"\ninventory_token = \"t0ken\"\ncatalog_url = \"{0}/catalog/\"\n",
        fake.uri()
    )
}

/// Accepts the webhook registration that activation makes.
pub async fn accept_registration(fake: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/inventory/webhooks"))
        .respond_with(ResponseTemplate::new(201))
        .mount(fake)
        .await;
}

/// The run `id` once it has finished: succeeded, or dead.
pub fn finished_run(binary: &Binary, id: u64) -> Value {
    eventually(PATIENCE, &format!("run {id} to finish"), || {
        binary
            .runs()
            .into_iter()
            .find(|run| run["id"] == id && (run["status"] == "succeeded" || run["status"] == "dead"))
    })
}

#[tokio::test]
async fn a_webhook_runs_its_flow_with_the_typed_payload_and_the_run_is_listed() {
    let fake = MockServer::start().await;
    let binary = Binary::example("inventory_sync");
    let server = binary.serve(&["serve"]);
    Mock::given(method("POST"))
        .and(path("/inventory/webhooks"))
        .and(header("authorization", "Bearer t0ken"))
        .and(body_json(json!({ "url": server.hook("acme", "/inventory") })))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&fake)
        .await;
    for (item, delta) in [("widgets", 20), ("gadgets", -5)] {
        Mock::given(method("POST"))
            .and(path(format!("/catalog/stock/{item}/adjust")))
            .and(body_json(json!({ "delta": delta })))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&fake)
            .await;
    }
    let activated = binary.activate("acme", &inventory_config(&fake), &server.url);
    assert!(activated.status.success(), "{}", String::from_utf8_lossy(&activated.stderr));
    assert!(String::from_utf8_lossy(&activated.stdout).contains(&server.hook("acme", "/inventory")));

    let seed = r#"{"updates":[{"item":"widgets","action":"add","quantity":20},{"item":"gadgets","action":"remove","quantity":5}]}"#;
    let response = reqwest::Client::new().post(server.hook("acme", "/inventory")).body(seed).send().await.unwrap();
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    let run_id = accepted["run_id"].as_u64().expect("the answer holds a run id");

    let run = finished_run(&binary, run_id);
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(
        (run["flow"].as_str(), run["instance"].as_str(), run["attempts"].as_u64()),
        (Some("stock_changed"), Some("acme"), Some(1))
    );
    let detail = binary.json(&["runs", "show", &run_id.to_string(), "--json"]);
    assert_eq!(detail["output"], json!({ "items": 2 }));
    assert_eq!(detail["body"], seed);
    let steps: Vec<&str> =
        detail["history"][0]["steps"].as_array().unwrap().iter().map(|step| step["name"].as_str().unwrap()).collect();
    assert_eq!(steps, ["Catalog.adjust_stock", "Catalog.adjust_stock"]);
    fake.verify().await;
}

#[tokio::test]
async fn each_extractor_reads_its_part_of_the_request() {
    let binary = Binary::example("probe");
    let server = binary.serve(&["serve"]);
    assert!(binary.activate("a", "label = \"first\"", &server.url).status.success());

    let response = reqwest::Client::new()
        .post(format!("{}?page=3", server.hook("a", "/echo")))
        .header("x-marker", "m-1")
        .body("0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let run_id = response.json::<Value>().await.unwrap()["run_id"].as_u64().unwrap();
    assert_eq!(finished_run(&binary, run_id)["status"], "succeeded");
    let detail = binary.json(&["runs", "show", &run_id.to_string(), "--json"]);
    assert_eq!(detail["output"], json!({ "label": "first", "page": 3, "marker": "m-1", "body_len": 10 }));
}
