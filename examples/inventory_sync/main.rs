//! One-way, event-driven import: a customer's inventory app posts stock changes to us, and we
//! import them into our product's catalog. A schedule reconciles the two by polling, and
//! activation registers our webhook with the inventory app (deactivation removes it).
//!
//! `cargo run --example inventory_sync` runs a demo: a fake inventory app and catalog on
//! loopback, a `demo` instance activated against them, a few webhooks, and the runs they caused.
//! `cargo run --example inventory_sync -- --help` shows the commands.

mod demo;
mod fake_apps;
#[cfg(test)]
mod tests;

use aqueduct::prelude::*;

/// What each customer fills in when they activate the integration.
#[derive(Deserialize)]
struct Settings {
    /// The customer's inventory app.
    inventory_url: Url,
    inventory_token: Secret,
    /// Our product's catalog API, which receives the stock levels.
    catalog_url: Url,
}

/// The inventory app's webhook payload.
#[derive(Deserialize)]
struct StockUpdates {
    updates: Vec<StockUpdate>,
}

#[derive(Deserialize)]
struct StockUpdate {
    item: String,
    action: StockAction,
    quantity: u32,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum StockAction {
    Add,
    Remove,
}

impl StockUpdate {
    fn delta(&self) -> i64 {
        match self.action {
            StockAction::Add => i64::from(self.quantity),
            StockAction::Remove => -i64::from(self.quantity),
        }
    }
}

/// A stock level as the inventory app reports it.
#[derive(Deserialize, Serialize)]
struct StockLevel {
    item: String,
    quantity: i64,
}

/// The customer's inventory app.
#[component]
struct InventoryApp {
    base: Url,
    token: Secret,
    http: reqwest::Client,
}

#[component]
impl InventoryApp {
    fn connect(ctx: &impl FlowContext<Settings>) -> InventoryApp {
        let settings = ctx.config();
        InventoryApp {
            base: settings.inventory_url.clone(),
            token: settings.inventory_token.clone(),
            http: ctx.http().clone(),
        }
    }

    #[action]
    async fn create_webhook(&self, url: &Url) -> Result<()> {
        let endpoint = self.base.join("webhooks")?;
        let body = serde_json::json!({ "url": url });
        self.http.post(endpoint).bearer_auth(self.token.expose()).json(&body).send().await?.check_status()?;
        Ok(())
    }

    #[action]
    async fn delete_webhook(&self, url: &Url) -> Result<()> {
        let endpoint = self.base.join("webhooks")?;
        let hooks: Vec<Webhook> = self
            .http
            .get(endpoint.clone())
            .bearer_auth(self.token.expose())
            .send()
            .await?
            .check_status()?
            .json()
            .await?;
        for hook in hooks.iter().filter(|hook| &hook.url == url) {
            let one = endpoint.join(&format!("webhooks/{}", hook.id))?;
            self.http.delete(one).bearer_auth(self.token.expose()).send().await?.check_status()?;
        }
        Ok(())
    }

    #[action]
    async fn stock_levels(&self) -> Result<Vec<StockLevel>> {
        let endpoint = self.base.join("stock")?;
        Ok(self.http.get(endpoint).bearer_auth(self.token.expose()).send().await?.check_status()?.json().await?)
    }
}

#[derive(Deserialize)]
struct Webhook {
    id: u64,
    url: Url,
}

/// Our product's catalog.
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
    async fn adjust_stock(&self, item: &str, delta: i64) -> Result<()> {
        let endpoint = self.base.join(&format!("stock/{item}/adjust"))?;
        self.http.post(endpoint).json(&serde_json::json!({ "delta": delta })).send().await?.check_status()?;
        Ok(())
    }

    #[action]
    async fn set_stock(&self, item: &str, quantity: i64) -> Result<()> {
        let endpoint = self.base.join(&format!("stock/{item}"))?;
        self.http.put(endpoint).json(&serde_json::json!({ "quantity": quantity })).send().await?.check_status()?;
        Ok(())
    }
}

/// What an import did, recorded as the run's output.
#[derive(Serialize)]
struct Imported {
    items: usize,
}

/// The inventory app calls this when stock changes.
#[flow(webhook, path = "/inventory")]
async fn stock_changed(ctx: Ctx<Settings>, Json(batch): Json<StockUpdates>) -> Result<Imported> {
    let catalog = Catalog::connect(&ctx);
    for update in &batch.updates {
        catalog.adjust_stock(&update.item, update.delta()).await?;
    }
    tracing::info!(updates = batch.updates.len(), "stock changes imported");
    Ok(Imported { items: batch.updates.len() })
}

/// Webhooks can be missed while our endpoint is down; every two minutes, take the inventory
/// app's levels as the truth.
#[flow(schedule = "*/2 * * * *", tz = "Europe/Berlin")]
async fn reconcile(ctx: Ctx<Settings>) -> Result<Imported> {
    let levels = InventoryApp::connect(&ctx).stock_levels().await?;
    let catalog = Catalog::connect(&ctx);
    for level in &levels {
        catalog.set_stock(&level.item, level.quantity).await?;
    }
    Ok(Imported { items: levels.len() })
}

#[flow(on_activate)]
async fn register_webhook(ctx: Activation<Settings>) -> Result<()> {
    InventoryApp::connect(&ctx).create_webhook(&ctx.endpoint::<stock_changed>()).await
}

#[flow(on_deactivate)]
async fn remove_webhook(ctx: Activation<Settings>) -> Result<()> {
    InventoryApp::connect(&ctx).delete_webhook(&ctx.endpoint::<stock_changed>()).await
}

aqueduct::integration! {
    name: "inventory-sync",
    config: Settings,
    flows: [stock_changed, reconcile, register_webhook, remove_webhook],
    demo: demo::run,
}
