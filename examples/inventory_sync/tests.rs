//! The integration tested as its author would test it: in this process with
//! `aqueduct::testing`, the inventory app and the catalog stood in by wiremock.

use super::*;
use aqueduct::testing::Harness;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn settings(apps: &MockServer) -> serde_json::Value {
    json!({
        "inventory_url": format!("{}/inventory/", apps.uri()),
        "inventory_token": "t0ken",
        "catalog_url": format!("{}/catalog/", apps.uri()),
    })
}

#[tokio::test]
async fn activation_registers_a_stock_change_is_imported_and_a_tick_reconciles() -> Result<()> {
    let apps = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/inventory/webhooks"))
        .and(header("authorization", "Bearer t0ken"))
        .and(body_json(json!({ "url": "http://aqueduct.test/hooks/acme/inventory" })))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&apps)
        .await;
    for (item, delta) in [("widgets", 20), ("gadgets", -5)] {
        Mock::given(method("POST"))
            .and(path(format!("/catalog/stock/{item}/adjust")))
            .and(body_json(json!({ "delta": delta })))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&apps)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/inventory/stock"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{ "item": "widgets", "quantity": 120 }])))
        .mount(&apps)
        .await;
    Mock::given(method("PUT"))
        .and(path("/catalog/stock/widgets"))
        .and(body_json(json!({ "quantity": 120 })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&apps)
        .await;

    let harness = Harness::start(INTEGRATION).await?;
    harness.activate("acme", settings(&apps).await).await?;

    let updates = json!({ "updates": [
        { "item": "widgets", "action": "add", "quantity": 20 },
        { "item": "gadgets", "action": "remove", "quantity": 5 },
    ]});
    let answer = harness.webhook::<stock_changed>("acme").json(&updates).send().await?;
    assert_eq!(answer.status, 202, "{:?}", answer.body);
    let run = harness.run(answer.run_id().expect("a run id")).await?;
    assert_eq!((run.status.as_str(), run.output), ("succeeded", Some(json!({ "items": 2 }))));
    let steps: Vec<&str> = run.attempts[0].steps.iter().map(|step| step.name.as_str()).collect();
    assert_eq!(steps, ["Catalog.adjust_stock", "Catalog.adjust_stock"]);
    assert_eq!(run.attempts[0].logs, ["INFO stock changes imported updates=2"]);

    // A payload that does not fit is refused at the door, naming the field; nothing runs.
    let wrong = json!({ "updates": [{ "item": "widgets", "action": "steal", "quantity": 1 }] });
    let refused = harness.webhook::<stock_changed>("acme").json(&wrong).send().await?;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["path"], "updates[0].action", "{:?}", refused.body);

    let tick = harness.tick::<reconcile>("acme", "2026-12-01T09:00:00Z".parse().expect("a time")).await?;
    let run = harness.run(tick).await?;
    assert_eq!((run.status.as_str(), run.output), ("succeeded", Some(json!({ "items": 1 }))));
    harness.stop().await;
    Ok(())
}
