//! The flow tested with `aqueduct::testing` alone, without a broker: the harness invokes it
//! with a message's body, as the NATS source would hand it over.

use super::*;
use aqueduct::testing::Harness;
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn a_stock_change_message_adjusts_the_catalog_and_a_bad_one_is_refused() -> Result<()> {
    let catalog = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/stock/A-1"))
        .and(body_json(json!({ "delta": -3 })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&catalog)
        .await;
    let harness = Harness::start(INTEGRATION).await?;
    harness.activate("acme", json!({ "catalog_url": format!("{}/", catalog.uri()) })).await?;
    let run = harness.invoke::<stock_changed>("acme", json!({ "sku": "A-1", "delta": -3 })).await?;
    assert_eq!(run.status, "succeeded");
    assert_eq!(run.attempts[0].steps[0].name, "Catalog.adjust");
    let refused = harness.invoke::<stock_changed>("acme", json!({ "sku": "A-1" })).await.unwrap_err();
    assert!(refused.to_string().contains("missing field `delta`"), "{refused}");
    harness.stop().await;
    Ok(())
}
