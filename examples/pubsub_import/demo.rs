//! The demo: a fake catalog, a `demo` instance, and a warehouse publishing to the local NATS.

use crate::Settings;
use aqueduct::prelude::*;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CHANGES: [(&str, i64); 4] = [("widget", 20), ("gadget", -5), ("widget", -3), ("sprocket", 7)];

/// A fake catalog that adds up the changes it is sent.
async fn fake_catalog() -> Result<(Url, Arc<Mutex<BTreeMap<String, i64>>>)> {
    let stock = Arc::new(Mutex::new(BTreeMap::new()));
    let kept = stock.clone();
    let adjust = axum::routing::post(
        move |axum::extract::Path(sku): axum::extract::Path<String>,
              axum::Json(change): axum::Json<serde_json::Value>| {
            let stock = kept.clone();
            async move {
                *stock.lock().expect("stock lock").entry(sku).or_default() +=
                    change["delta"].as_i64().unwrap_or_default();
                axum::http::StatusCode::NO_CONTENT
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = Url::parse(&format!("http://{}/", listener.local_addr()?))?;
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().route("/stock/{sku}", adjust)).await });
    Ok((url, stock))
}

pub(crate) async fn run(demo: Demo<Settings>) -> Result<()> {
    let nats_url = std::env::var("AQUEDUCT_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let client = async_nats::connect(&nats_url).await.map_err(|error| {
        Error::msg(format!("no NATS at {nats_url} ({error}); start `nats-server -js` or set AQUEDUCT_NATS_URL"))
    })?;
    let (catalog, stock) = fake_catalog().await?;
    println!("fake catalog at {catalog}; NATS at {nats_url}");
    demo.activate("demo", serde_json::json!({ "catalog_url": catalog })).await?;

    // The source creates the stream when it starts; the warehouse publishes once it exists.
    let jetstream = async_nats::jetstream::new(client);
    while jetstream.get_stream("WAREHOUSE").await.is_err() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("\nthe warehouse publishes to warehouse.demo.stock:");
    for (sku, delta) in CHANGES {
        let change = serde_json::json!({ "sku": sku, "delta": delta }).to_string();
        jetstream.publish("warehouse.demo.stock", change.clone().into()).await?.await?;
        println!("  {change}");
    }
    demo.wait_for_runs::<crate::stock_changed>(CHANGES.len(), Duration::from_secs(30)).await?;
    println!();
    demo.print_runs().await?;
    println!("\nthe catalog's stock: {:?}", stock.lock().expect("stock lock"));
    Ok(())
}
