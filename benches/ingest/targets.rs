//! The two servers under the same load: a bare axum handler, and aqueduct's durable ingest.

use aqueduct::prelude::*;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

/// The seed's inventory payload.
pub const PAYLOAD: &str = r#"{"updates":[{"item":"widgets","action":"add","quantity":20},{"item":"gadgets","action":"remove","quantity":5}]}"#;

#[derive(Deserialize)]
pub struct Settings {
    signing_secret: Secret,
}

/// The secret the verified endpoint checks Standard Webhooks signatures with.
pub const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

#[derive(Deserialize)]
pub struct StockUpdates {
    #[allow(dead_code)]
    updates: Vec<StockUpdate>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct StockUpdate {
    item: String,
    action: String,
    quantity: u32,
}

/// A no-op flow with the typed payload: what is measured is the runtime around it.
#[flow(webhook, path = "/inventory")]
async fn stock_changed(_ctx: Ctx<Settings>, Json(_batch): Json<StockUpdates>) -> Result<()> {
    Ok(())
}

/// The same, behind a Standard Webhooks signature check.
#[flow(webhook, path = "/verified", verify = standard_webhooks(secret = signing_secret))]
async fn verified_stock_changed(_ctx: Ctx<Settings>, Json(_batch): Json<StockUpdates>) -> Result<()> {
    Ok(())
}

pub mod app {
    aqueduct::integration! {
        name: "bench",
        config: super::Settings,
        flows: [super::stock_changed, super::verified_stock_changed],
    }
}

/// Standard Webhooks headers for [`PAYLOAD`], signed now: valid for five minutes.
pub fn signed_headers() -> Vec<(&'static str, String)> {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let timestamp = jiff::Timestamp::now().as_second();
    let key = base64::engine::general_purpose::STANDARD.decode(SECRET.trim_start_matches("whsec_")).expect("base64");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(format!("msg_bench.{timestamp}.{PAYLOAD}").as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    vec![
        ("webhook-id", "msg_bench".into()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", format!("v1,{signature}")),
    ]
}

/// (a): parse the same typed payload, answer 202 with a run id, store nothing.
pub async fn bare_axum() -> SocketAddr {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    async fn accept(axum::Json(_batch): axum::Json<StockUpdates>) -> (http::StatusCode, axum::Json<serde_json::Value>) {
        let run_id = NEXT.fetch_add(1, Ordering::Relaxed);
        (http::StatusCode::ACCEPTED, axum::Json(serde_json::json!({ "run_id": run_id })))
    }
    serve(axum::Router::new().route("/hooks/acme/inventory", axum::routing::post(accept))).await
}

/// Serves `router` on a free loopback port, with axum's own server.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

/// (b): aqueduct serving the integration above on a fresh SQLite store in `dir`.
pub async fn aqueduct(dir: &std::path::Path) -> aqueduct::Server<Settings> {
    let options = aqueduct::ServerOptions {
        store: format!("sqlite:{}", dir.join("bench.db").display()),
        listen: "127.0.0.1:0".parse().expect("an address"),
        ..Default::default()
    };
    let server = aqueduct::Server::start(app::INTEGRATION, options).await.expect("starting aqueduct");
    server.activate("acme", serde_json::json!({ "signing_secret": SECRET })).await.expect("activating the instance");
    server
}
