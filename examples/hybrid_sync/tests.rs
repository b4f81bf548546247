//! The integration tested with `aqueduct::testing` alone: your app and the ERP stood in by
//! wiremock.

use super::*;
use aqueduct::testing::Harness;
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn one_activation_exports_by_webhook_imports_by_schedule_and_leaves_the_exports_where_they_are() -> Result<()> {
    let (app, erp) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .and(path("/webhooks"))
        .and(body_partial_json(json!({ "url": "http://aqueduct.test/hooks/acme/orders" })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({ "id": "sub-1" })))
        .expect(1)
        .mount(&app)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/webhooks/sub-1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&app)
        .await;
    Mock::given(method("PUT")).respond_with(ResponseTemplate::new(204)).mount(&app).await;
    Mock::given(method("PUT")).respond_with(ResponseTemplate::new(204)).mount(&erp).await;
    let exported = json!({ "id": "o-1", "status": "placed", "total_cents": 2500 });
    let shipped = json!({ "id": "o-0", "status": "shipped", "total_cents": 990 });
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "orders": [exported, shipped], "as_of": "2026-12-01T10:00:00Z" })),
        )
        .mount(&erp)
        .await;

    let harness = Harness::start(INTEGRATION).await?;
    let settings =
        json!({ "app_url": format!("{}/", app.uri()), "app_token": "t", "erp_url": format!("{}/", erp.uri()) });
    harness.activate("acme", settings).await?;

    let answer = harness.webhook::<order_placed>("acme").json(&exported).send().await?;
    assert_eq!(harness.run(answer.run_id().unwrap()).await?.status, "succeeded");
    let erp_writes = erp.received_requests().await.unwrap();
    assert_eq!(erp_writes.iter().filter(|request| request.method.as_str() == "PUT").count(), 1);

    let poll = harness.run(harness.tick::<import_erp_changes>("acme", "2026-12-01T10:05:00Z".parse()?).await?).await?;
    assert_eq!(poll.output, Some(json!({ "imported": 1, "echoes": 1 })), "{poll:?}");
    let imports: Vec<String> = app
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|request| request.method.as_str() == "PUT")
        .map(|request| request.url.path().to_owned())
        .collect();
    assert_eq!(imports, ["/orders/o-0"], "the ERP's own change imported; the exported order not imported back");

    harness.deactivate("acme").await?;
    harness.stop().await;
    Ok(())
}
