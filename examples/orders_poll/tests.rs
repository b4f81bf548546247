//! The integration tested with `aqueduct::testing` alone: the shop and your app stood in by
//! wiremock.

use super::*;
use aqueduct::testing::Harness;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn order(id: &str, updated_at: &str) -> serde_json::Value {
    json!({ "id": id, "total_cents": 100, "updated_at": updated_at })
}

/// A shop with an OAuth2 token endpoint; its first listing has three orders over two pages,
/// and after the third order's time one more.
async fn shop() -> MockServer {
    let shop = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "access_token": "t1", "token_type": "bearer", "expires_in": 3600 })),
        )
        .expect(1)
        .mount(&shop)
        .await;
    let listing = |page: &str, orders: Vec<serde_json::Value>, next: Option<u32>| {
        ResponseTemplate::new(200)
            .set_body_json(json!({ "orders": orders, "next_page": next }))
            .append_header("x-page", page)
    };
    let first = [order("1", "2026-12-01T10:00:00Z"), order("2", "2026-12-01T10:05:00Z")];
    Mock::given(method("GET"))
        .and(path("/orders"))
        .and(header("authorization", "Bearer t1"))
        .and(query_param("page", "1"))
        .and(query_param_is_missing("updated_after"))
        .respond_with(listing("1", first.to_vec(), Some(2)))
        .mount(&shop)
        .await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .and(query_param("page", "2"))
        .and(query_param_is_missing("updated_after"))
        .respond_with(listing("2", vec![order("3", "2026-12-01T10:10:00Z")], None))
        .mount(&shop)
        .await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .and(query_param("page", "1"))
        .and(query_param("updated_after", "2026-12-01T10:10:00Z"))
        .respond_with(listing("1", vec![order("4", "2026-12-01T10:20:00Z")], None))
        .mount(&shop)
        .await;
    shop
}

async fn imports(app: &MockServer) -> Vec<String> {
    let requests = app.received_requests().await.unwrap();
    requests.iter().map(|request| request.url.path().to_owned()).collect()
}

#[tokio::test]
async fn each_poll_imports_the_orders_changed_since_the_last_successful_one() -> Result<()> {
    let (shop, app) = (shop().await, MockServer::start().await);
    // The app fails its first import of order 4: that poll fails and is retried.
    Mock::given(method("PUT"))
        .and(path("/orders/4"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app)
        .await;
    Mock::given(method("PUT")).respond_with(ResponseTemplate::new(204)).mount(&app).await;

    let harness = Harness::start(INTEGRATION).await?;
    let connection = json!({
        "type": "oauth2_client_credentials",
        "token_url": format!("{}/oauth/token", shop.uri()),
        "client_id": "aqueduct",
        "client_secret": "s3cret",
    });
    let settings =
        json!({ "shop_url": format!("{}/", shop.uri()), "shop": connection, "app_url": format!("{}/", app.uri()) });
    harness.activate("acme", settings).await?;

    let first = harness.run(harness.tick::<poll_orders>("acme", "2026-12-01T11:00:00Z".parse()?).await?).await?;
    assert_eq!((first.status.as_str(), first.output.clone()), ("succeeded", Some(json!(3))), "{first:?}");
    assert_eq!(imports(&app).await, ["/orders/1", "/orders/2", "/orders/3"]);

    // The second poll asks only for what changed after order 3; its import fails once, and
    // the retry imports order 4 without asking the shop again.
    let second = harness.run(harness.tick::<poll_orders>("acme", "2026-12-01T11:01:00Z".parse()?).await?).await?;
    assert_eq!((second.status.as_str(), second.output.clone()), ("succeeded", Some(json!(1))), "{second:?}");
    assert_eq!(second.attempts.len(), 2);
    let retried: Vec<(&str, bool)> =
        second.attempts[1].steps.iter().map(|step| (step.name.as_str(), step.replayed)).collect();
    assert_eq!(retried, [("Shop.orders", true), ("YourApp.import", false)]);
    assert_eq!(imports(&app).await[3..], ["/orders/4", "/orders/4"]);
    harness.stop().await;
    Ok(())
}
