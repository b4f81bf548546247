//! The integration tested with `aqueduct::testing` alone: the accounting app stood in by
//! wiremock, throttling the first invoice.

use super::*;
use aqueduct::testing::Harness;
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn an_order_becomes_one_invoice_even_when_the_accounting_app_throttles() -> Result<()> {
    let accounting = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/invoices"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&accounting)
        .await;
    Mock::given(method("POST"))
        .and(path("/invoices"))
        .and(header("idempotency-key", "ord_1"))
        .and(header("authorization", "Bearer acc_test"))
        .and(body_partial_json(json!({ "reference": "ord_1", "currency": "EUR", "total": "25.00" })))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .with_priority(2)
        .mount(&accounting)
        .await;

    let harness = Harness::start(INTEGRATION).await?;
    let settings = json!({
        "orders_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "accounting_url": format!("{}/", accounting.uri()),
        "accounting": { "type": "bearer", "token": "acc_test" },
    });
    harness.activate("acme", settings).await?;
    let order = json!({ "data": {
        "id": "ord_1", "customer": "Ada", "currency": "eur",
        "lines": [{ "sku": "A-1", "quantity": 2, "unit_price_cents": 1250 }],
    }});
    let answer = harness.webhook::<order_created>("acme").json(&order).send().await?;
    assert_eq!(answer.status, 202, "{:?}", answer.body);
    let run = harness.run(answer.run_id().expect("a run id")).await?;
    assert_eq!(run.status, "succeeded");
    assert_eq!(run.output, Some(json!("invoice ord_1 for 25.00 EUR")));
    assert_eq!(run.attempts.len(), 2, "throttled once, then created");
    assert!(run.attempts[0].error.as_deref().unwrap_or_default().contains("429"), "{:?}", run.attempts[0]);
    harness.stop().await;
    Ok(())
}
