//! Pub/sub import: the customer's warehouse publishes stock changes to NATS JetStream; each
//! instance consumes its own subject durably and imports the changes into your catalog. A
//! message is acknowledged only once its run is committed, so none is lost if this process or
//! the broker stops.
//!
//! `cargo run --example pubsub_import` runs a demo against the NATS server on 127.0.0.1:4222
//! (started with `nats-server -js`; `AQUEDUCT_NATS_URL` points elsewhere) and a fake catalog.

mod demo;
#[cfg(test)]
mod tests;

use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {
    /// The customer's NATS, if not the one in AQUEDUCT_NATS_URL.
    nats_url: Option<Secret>,
    catalog_url: Url,
}

#[derive(Deserialize)]
struct StockChange {
    sku: String,
    delta: i64,
}

#[component]
struct Catalog {
    base: Url,
    http: reqwest::Client,
}

#[component]
impl Catalog {
    fn connect(ctx: &impl FlowContext<Settings>) -> Catalog {
        Catalog { base: ctx.config().catalog_url.clone(), http: ctx.http().clone() }
    }

    #[action]
    async fn adjust(&self, sku: &str, delta: i64) -> Result<()> {
        let url = self.base.join(&format!("stock/{sku}"))?;
        self.http.post(url).json(&serde_json::json!({ "delta": delta })).send().await?.check_status()?;
        Ok(())
    }
}

/// Each instance's warehouse publishes to `warehouse.<instance>.stock`.
#[flow(nats = "warehouse.{instance}.stock", stream = "WAREHOUSE", url = nats_url, retries = 5, backoff = "1s..1m")]
async fn stock_changed(ctx: Ctx<Settings>, Json(change): Json<StockChange>) -> Result<()> {
    Catalog::connect(&ctx).adjust(&change.sku, change.delta).await
}

aqueduct::integration! {
    name: "pubsub-import",
    config: Settings,
    flows: [stock_changed],
    demo: demo::run,
}
