//! The demo: a fake app (webhook subscriptions, orders) and a fake ERP (orders, a listing of
//! those changed). An order placed in your app is exported; the ERP ships another; a poll
//! imports the shipment and not the export.

use crate::{Order, Settings};
use aqueduct::prelude::*;
use axum::extract::{Path, State};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Erp {
    orders: Mutex<Vec<Order>>,
}

async fn serve(router: axum::Router) -> Result<Url> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = Url::parse(&format!("http://{}/", listener.local_addr()?))?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

async fn fake_app() -> Result<Url> {
    let subscribe = axum::routing::post(|axum::Json(body): axum::Json<serde_json::Value>| async move {
        println!("  your app: webhooks for {} go to {}", body["events"], body["url"]);
        (http::StatusCode::CREATED, axum::Json(serde_json::json!({ "id": "sub-1" })))
    });
    let import = axum::routing::put(|Path(id): Path<String>, axum::Json(order): axum::Json<Order>| async move {
        println!("  your app: order {id} imported from the ERP, {}", order.status);
        http::StatusCode::NO_CONTENT
    });
    serve(axum::Router::new().route("/webhooks", subscribe).route("/orders/{id}", import)).await
}

async fn fake_erp(erp: Arc<Erp>) -> Result<Url> {
    let put = axum::routing::put(|State(erp): State<Arc<Erp>>, axum::Json(order): axum::Json<Order>| async move {
        println!("  ERP: order {} written, {}", order.id, order.status);
        erp.orders.lock().unwrap().push(order);
        http::StatusCode::NO_CONTENT
    });
    let list = axum::routing::get(|State(erp): State<Arc<Erp>>| async move {
        let orders = erp.orders.lock().unwrap().clone();
        axum::Json(serde_json::json!({ "orders": orders, "as_of": jiff::Timestamp::now() }))
    });
    serve(axum::Router::new().route("/orders/{id}", put).route("/orders", list).with_state(erp)).await
}

pub(crate) async fn run(demo: Demo<Settings>) -> Result<()> {
    let erp = Arc::new(Erp::default());
    let (app_url, erp_url) = (fake_app().await?, fake_erp(erp.clone()).await?);
    println!("fake app at {app_url}, fake ERP at {erp_url}");
    demo.activate("demo", serde_json::json!({ "app_url": app_url, "app_token": "app-token", "erp_url": erp_url }))
        .await?;

    println!("\nyour app sends its webhook for a new order:");
    let order = Order { id: "o-1".into(), status: "placed".into(), total_cents: 2500 };
    demo.http().post(demo.endpoint::<crate::order_placed>("demo")).json(&order).send().await?.error_for_status()?;
    demo.wait_for_runs::<crate::order_placed>(1, Duration::from_secs(30)).await?;

    println!("\nthe ERP ships an older order; the schedule polls it:");
    erp.orders.lock().unwrap().push(Order { id: "o-0".into(), status: "shipped".into(), total_cents: 990 });
    demo.tick::<crate::import_erp_changes>("demo").await?;
    demo.wait_for_runs::<crate::import_erp_changes>(1, Duration::from_secs(30)).await?;
    println!();
    demo.print_runs().await
}
