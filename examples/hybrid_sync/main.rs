//! Hybrid: one activation, two directions on two kinds of trigger. Your app's order webhooks
//! are exported to the customer's ERP as they happen; the ERP has no webhooks, so its changes
//! are imported on a schedule. Activation subscribes to your app's webhooks (deactivation
//! unsubscribes, with what activation returned). The ERP's listing includes the orders this
//! integration exported; `ctx.echoes("erp")` tells those apart, so they are not imported back.
//!
//! `cargo run --example hybrid_sync` runs a demo against a fake app and a fake ERP.

mod demo;
#[cfg(test)]
mod tests;

use aqueduct::prelude::*;

#[derive(Deserialize, JsonSchema)]
struct Settings {
    /// Your app's API.
    app_url: Url,
    app_token: Secret,
    /// The customer's ERP.
    erp_url: Url,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Order {
    id: String,
    status: String,
    total_cents: u64,
}

impl Record for Order {
    fn id(&self) -> String {
        self.id.clone()
    }
}

/// Your app: its webhook subscriptions and its orders.
#[component]
struct YourApp {
    base: Url,
    token: Secret,
    http: reqwest::Client,
}

#[component]
impl YourApp {
    #[action]
    async fn subscribe(&self, url: &Url) -> Result<Subscription> {
        let request = self.http.post(self.base.join("webhooks")?).bearer_auth(self.token.expose());
        Ok(request
            .json(&serde_json::json!({ "url": url, "events": ["order.placed"] }))
            .send()
            .await?
            .check_status()?
            .json()
            .await?)
    }

    #[action]
    async fn unsubscribe(&self, id: &str) -> Result<()> {
        let url = self.base.join(&format!("webhooks/{id}"))?;
        self.http.delete(url).bearer_auth(self.token.expose()).send().await?.check_status()?;
        Ok(())
    }

    #[action]
    async fn import(&self, order: &Order) -> Result<()> {
        let url = self.base.join(&format!("orders/{}", order.id))?;
        self.http.put(url).bearer_auth(self.token.expose()).json(order).send().await?.check_status()?;
        Ok(())
    }
}

/// The customer's ERP: orders by id, and a listing of those changed after a time.
#[component]
struct Erp {
    base: Url,
    http: reqwest::Client,
}

#[component]
impl Erp {
    #[action]
    async fn put(&self, order: &Order) -> Result<()> {
        self.http.put(self.base.join(&format!("orders/{}", order.id))?).json(order).send().await?.check_status()?;
        Ok(())
    }

    #[action]
    async fn changed_after(&self, since: Option<jiff::Timestamp>) -> Result<ErpChanges> {
        let mut request = self.http.get(self.base.join("orders")?);
        if let Some(since) = since {
            request = request.query(&[("updated_after", since.to_string())]);
        }
        Ok(request.send().await?.check_status()?.json().await?)
    }
}

#[derive(Serialize, Deserialize)]
struct ErpChanges {
    orders: Vec<Order>,
    /// When the listing was made: the next poll asks for changes after it.
    as_of: jiff::Timestamp,
}

/// What `subscribe` registered, kept with the instance for `unsubscribe`.
#[derive(Serialize, Deserialize)]
struct Subscription {
    id: String,
}

#[flow(on_activate)]
async fn subscribe(ctx: Activation<Settings>) -> Result<Subscription> {
    let app =
        YourApp { base: ctx.config().app_url.clone(), token: ctx.config().app_token.clone(), http: ctx.http().clone() };
    app.subscribe(&ctx.endpoint::<order_placed>()).await
}

#[flow(on_deactivate)]
async fn unsubscribe(ctx: Activation<Settings>, subscription: Subscription) -> Result<()> {
    let app =
        YourApp { base: ctx.config().app_url.clone(), token: ctx.config().app_token.clone(), http: ctx.http().clone() };
    app.unsubscribe(&subscription.id).await
}

/// Event-driven export: an order placed in your app, written to the ERP.
#[flow(webhook, path = "/orders")]
async fn order_placed(ctx: Ctx<Settings>, Json(order): Json<Order>) -> Result<()> {
    ctx.echoes("erp").writing(&order).await?;
    Erp { base: ctx.config().erp_url.clone(), http: ctx.http().clone() }.put(&order).await
}

#[derive(Default, Serialize, Deserialize)]
struct Since {
    as_of: Option<jiff::Timestamp>,
}

#[derive(Serialize)]
struct Imported {
    imported: usize,
    echoes: usize,
}

/// Scheduled import: the ERP's changes since the last poll, into your app — its own changes,
/// not the orders this integration exported to it.
#[flow(schedule = "*/5 * * * *", catch_up = "1h")]
async fn import_erp_changes(ctx: Ctx<Settings>) -> Result<Imported> {
    let settings = ctx.config();
    let erp = Erp { base: settings.erp_url.clone(), http: ctx.http().clone() };
    let app = YourApp { base: settings.app_url.clone(), token: settings.app_token.clone(), http: ctx.http().clone() };
    let mut since = ctx.cursor::<Since>().await?;
    let changes = erp.changed_after(since.as_of).await?;
    let mut imported = Imported { imported: 0, echoes: 0 };
    for order in &changes.orders {
        if ctx.echoes("erp").is_echo(order).await? {
            imported.echoes += 1;
            continue;
        }
        app.import(order).await?;
        imported.imported += 1;
    }
    since.as_of = Some(changes.as_of);
    Ok(imported)
}

aqueduct::integration! {
    name: "hybrid-sync",
    config: Settings,
    flows: [subscribe, unsubscribe, order_placed, import_erp_changes],
    demo: demo::run,
}
