//! The demo: a fake shop (an OAuth2 token endpoint and `GET /orders`, two a page) and a fake
//! app; three polls fired by hand, with a new order and a changed one between them.

use crate::{Order, Settings};
use aqueduct::prelude::*;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The shop's client credentials, and the token it hands out for them.
const CLIENT_ID: &str = "aqueduct-demo";
const CLIENT_SECRET: &str = "s3cret-demo";
const ACCESS_TOKEN: &str = "shop-token-1";

#[derive(Default)]
struct Shop {
    orders: Mutex<Vec<Order>>,
    tokens_issued: Mutex<u32>,
}

#[derive(serde::Deserialize)]
struct OrdersQuery {
    page: u32,
    updated_after: Option<jiff::Timestamp>,
}

/// Starts the fake shop and app; returns their URLs and the shop.
async fn fakes() -> Result<(Url, Url, Arc<Shop>)> {
    let shop = Arc::new(Shop::default());
    let token = axum::routing::post(|State(shop): State<Arc<Shop>>, headers: HeaderMap| async move {
        use base64::Engine;
        let expected = base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
        if headers.get("authorization").and_then(|value| value.to_str().ok()) != Some(&format!("Basic {expected}")) {
            return Err(StatusCode::UNAUTHORIZED);
        }
        *shop.tokens_issued.lock().unwrap() += 1;
        Ok(axum::Json(serde_json::json!({ "access_token": ACCESS_TOKEN, "token_type": "bearer", "expires_in": 3600 })))
    });
    let orders = axum::routing::get(
        |State(shop): State<Arc<Shop>>, headers: HeaderMap, Query(query): Query<OrdersQuery>| async move {
            if headers.get("authorization").and_then(|value| value.to_str().ok())
                != Some(&format!("Bearer {ACCESS_TOKEN}"))
            {
                return Err(StatusCode::UNAUTHORIZED);
            }
            let mut changed: Vec<Order> = shop
                .orders
                .lock()
                .unwrap()
                .iter()
                .filter(|order| query.updated_after.is_none_or(|after| order.updated_at > after))
                .cloned()
                .collect();
            changed.sort_by_key(|order| order.updated_at);
            let start = (query.page.max(1) as usize - 1) * 2;
            let page: Vec<Order> = changed.iter().skip(start).take(2).cloned().collect();
            let next_page = (changed.len() > start + 2).then_some(query.page + 1);
            Ok(axum::Json(serde_json::json!({ "orders": page, "next_page": next_page })))
        },
    );
    let shop_router =
        axum::Router::new().route("/oauth/token", token).route("/orders", orders).with_state(shop.clone());
    let app_router = axum::Router::new().route(
        "/orders/{id}",
        axum::routing::put(|Path(id): Path<String>, axum::Json(order): axum::Json<Order>| async move {
            println!("  your app: order {id} imported, total {:.2}", order.total_cents as f64 / 100.0);
            StatusCode::NO_CONTENT
        }),
    );
    Ok((serve(shop_router).await?, serve(app_router).await?, shop))
}

async fn serve(router: axum::Router) -> Result<Url> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = Url::parse(&format!("http://{}/", listener.local_addr()?))?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

fn order(id: &str, total_cents: u64) -> Order {
    Order { id: id.into(), total_cents, updated_at: jiff::Timestamp::now() }
}

pub(crate) async fn run(demo: Demo<Settings>) -> Result<()> {
    let (shop_url, app_url, shop) = fakes().await?;
    println!("fake shop at {shop_url} and app at {app_url}");
    shop.orders.lock().unwrap().extend([order("1001", 2500), order("1002", 999), order("1003", 4200)]);
    let connection = serde_json::json!({
        "type": "oauth2_client_credentials",
        "token_url": shop_url.join("oauth/token")?,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    });
    demo.activate("demo", serde_json::json!({ "shop_url": shop_url, "shop": connection, "app_url": app_url })).await?;

    println!("\nfirst poll: every order, two a page");
    demo.tick::<crate::poll_orders>("demo").await?;
    demo.wait_for_runs::<crate::poll_orders>(1, Duration::from_secs(30)).await?;

    tokio::time::sleep(Duration::from_millis(5)).await;
    println!("\nsecond poll: order 1004 is new and 1002 changed; only they are imported");
    {
        let mut orders = shop.orders.lock().unwrap();
        orders.push(order("1004", 1200));
        orders[1] = order("1002", 1099);
    }
    demo.tick::<crate::poll_orders>("demo").await?;
    demo.wait_for_runs::<crate::poll_orders>(2, Duration::from_secs(30)).await?;

    println!("\nthird poll: nothing changed");
    demo.tick::<crate::poll_orders>("demo").await?;
    demo.wait_for_runs::<crate::poll_orders>(3, Duration::from_secs(30)).await?;
    println!();
    demo.print_runs().await?;
    println!("\nthe shop issued {} OAuth2 token(s) for the three polls", shop.tokens_issued.lock().unwrap());
    Ok(())
}
