//! The demo: a fake accounting app that throttles its first request, and your product sending
//! three signed `order.created` webhooks.

use crate::Settings;
use aqueduct::prelude::*;
use axum::http::StatusCode;
use base64::Engine;
use hmac::{KeyInit, Mac};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The signing secret your product and this integration share.
const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// A fake accounting app: `429 Retry-After: 1` for the first invoice, then `201`.
async fn fake_accounting() -> Result<Url> {
    let requests = Arc::new(AtomicUsize::new(0));
    let invoices = axum::routing::post(move |axum::Json(invoice): axum::Json<serde_json::Value>| {
        let requests = requests.clone();
        async move {
            if requests.fetch_add(1, Ordering::SeqCst) == 0 {
                return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], String::new());
            }
            println!(
                "  accounting app: invoice {} for {} {}",
                invoice["reference"], invoice["total"], invoice["currency"]
            );
            (StatusCode::CREATED, [("retry-after", "0")], String::new())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = Url::parse(&format!("http://{}/", listener.local_addr()?))?;
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().route("/invoices", invoices)).await });
    Ok(url)
}

/// Signs a webhook as your product would, with Standard Webhooks headers.
fn signed(id: &str, body: &str) -> [(&'static str, String); 3] {
    let timestamp = jiff::Timestamp::now().as_second();
    let key =
        base64::engine::general_purpose::STANDARD.decode(SECRET.trim_start_matches("whsec_")).expect("a base64 secret");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    [
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", format!("v1,{signature}")),
    ]
}

pub(crate) async fn run(demo: Demo<Settings>) -> Result<()> {
    let accounting = fake_accounting().await?;
    println!("fake accounting app at {accounting}");
    demo.activate(
        "demo",
        serde_json::json!({ "orders_secret": SECRET, "accounting_url": accounting, "accounting": { "type": "bearer", "token": "acc_demo" } }),
    )
    .await?;
    let url = demo.endpoint::<crate::order_created>("demo");
    println!("\nyour product sends (status and answer):");
    let mut first_run = None;
    for (number, customer) in ["Ada Lovelace", "Grace Hopper", "Ada Lovelace"].iter().enumerate() {
        let body = serde_json::json!({
            "type": "order.created",
            "data": {
                "id": format!("ord_{}", 1001 + number),
                "customer": customer,
                "currency": "eur",
                "lines": [{ "sku": "widget", "quantity": 2, "unit_price_cents": 1250 }, { "sku": "gadget", "quantity": 1, "unit_price_cents": 999 }],
            },
        })
        .to_string();
        let mut request = demo.http().post(url.clone()).header("content-type", "application/json").body(body.clone());
        for (name, value) in signed(&format!("msg_{number}"), &body) {
            request = request.header(name, value);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let answer: serde_json::Value = response.json().await?;
        first_run = first_run.or(answer["run_id"].as_u64());
        println!("  order {} {status} {answer}", 1001 + number);
    }
    demo.wait_for_runs::<crate::order_created>(3, Duration::from_secs(30)).await?;
    println!();
    demo.print_runs().await?;
    if let Some(run) = first_run {
        println!("\n`cargo run --example orders_export -- runs show {run}` shows the throttled attempt and its retry.");
    }
    Ok(())
}
