//! A repeated delivery id is answered with the first run and does not run again.

use crate::support::{Binary, post};
use crate::webhooks::finished_run;

#[tokio::test]
async fn a_repeated_delivery_id_gives_one_run() {
    let binary = Binary::example("probe");
    let server = binary.serve(&["serve"]);
    assert!(binary.activate("a", "label = \"first\"", &server.url).status.success());
    assert!(binary.activate("b", "label = \"second\"", &server.url).status.success());
    let client = reqwest::Client::new();
    let deliver = |instance: &str, id: &str| {
        client.post(server.hook(instance, "/deduped")).header("X-Delivery-Id", id.to_owned()).body("{}").send()
    };

    let first = deliver("a", "72d3162e-cc78-11e3-81ab-4c9367dc0958").await.unwrap();
    assert_eq!(first.status(), 202);
    let first: serde_json::Value = first.json().await.unwrap();
    let again = deliver("a", "72d3162e-cc78-11e3-81ab-4c9367dc0958").await.unwrap();
    assert_eq!(again.status(), 202, "a repeat is accepted as its first delivery was");
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["run_id"], first["run_id"]);
    assert_eq!(again["duplicate"], true);

    // The same id at another instance, and another id, are other deliveries.
    assert_eq!(deliver("b", "72d3162e-cc78-11e3-81ab-4c9367dc0958").await.unwrap().status(), 202);
    assert_eq!(deliver("a", "0b5d9b1a-cc79-11e3-8a2c-4c9367dc0958").await.unwrap().status(), 202);
    let (status, answer) = post(&client, &server.hook("a", "/deduped"), "{}").await;
    assert_eq!(status, 400, "a delivery without its id: {answer}");
    assert!(answer["error"].as_str().unwrap().contains("X-Delivery-Id"), "{answer}");

    finished_run(&binary, first["run_id"].as_u64().unwrap());
    assert_eq!(binary.json(&["runs", "--flow", "deduped", "--json"]).as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_delivery_id_in_the_body_is_remembered_for_its_window() {
    let binary = Binary::example("probe");
    let server = binary.serve(&["serve"]);
    assert!(binary.activate("a", "label = \"first\"", &server.url).status.success());
    let client = reqwest::Client::new();
    let url = server.hook("a", "/deduped-json");

    let (status, first) = post(&client, &url, r#"{"id":"evt_1","amount":10}"#).await;
    assert_eq!(status, 202);
    let (status, again) = post(&client, &url, r#"{"id":"evt_1","amount":10}"#).await;
    assert_eq!((status, &again["run_id"]), (202, &first["run_id"]));
    let (status, answer) = post(&client, &url, r#"{"amount":10}"#).await;
    assert_eq!(status, 400, "{answer}");

    // dedupe_window = "1s": after it, the same id is a new delivery.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, later) = post(&client, &url, r#"{"id":"evt_1","amount":10}"#).await;
    assert_eq!(status, 202);
    assert_ne!(later["run_id"], first["run_id"]);
}
