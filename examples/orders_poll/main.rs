//! Scheduled data import: every minute, the orders a customer's shop changed since the last
//! successful poll are imported into your app. The shop's API authenticates with OAuth2 client
//! credentials and lists the orders updated after a time, two a page; the flow's cursor
//! remembers how far it got and moves only when a poll succeeds, and each page fetched and
//! each order imported is a durable step, so a retried poll repeats neither.
//!
//! `cargo run --example orders_poll` runs a demo against a fake shop and a fake app.

mod demo;
#[cfg(test)]
mod tests;

use aqueduct::prelude::*;
use aqueduct::{Page, paginate};
use futures::TryStreamExt;

/// One customer's shop and your app.
#[derive(Deserialize, JsonSchema)]
struct Settings {
    /// The shop's API.
    shop_url: Url,
    /// How we authenticate to it, e.g. `{ type = "oauth2_client_credentials", … }`.
    shop: Connection,
    /// Your app's API, where the orders are imported.
    app_url: Url,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Order {
    id: String,
    total_cents: u64,
    updated_at: jiff::Timestamp,
}

/// One page of the shop's `GET /orders`.
#[derive(Serialize, Deserialize)]
struct OrdersPage {
    orders: Vec<Order>,
    next_page: Option<u32>,
}

/// The customer's shop.
#[component]
struct Shop {
    base: Url,
    connection: Connection,
    http: reqwest::Client,
}

#[component]
impl Shop {
    /// Page `page` of the orders updated after `since` (all of them without one).
    #[action]
    async fn orders(&self, since: Option<jiff::Timestamp>, page: u32) -> Result<OrdersPage> {
        let mut request = self.http.get(self.base.join("orders")?).query(&[("page", page)]);
        if let Some(since) = since {
            request = request.query(&[("updated_after", since.to_string())]);
        }
        Ok(self.connection.send(request).await?.check_status()?.json().await?)
    }
}

/// Your app.
#[component]
struct YourApp {
    base: Url,
    http: reqwest::Client,
}

#[component]
impl YourApp {
    /// Creates or updates the order: a `PUT` by id, so importing it again changes nothing.
    #[action]
    async fn import(&self, order: &Order) -> Result<()> {
        let url = self.base.join(&format!("orders/{}", order.id))?;
        self.http.put(url).json(order).send().await?.check_status()?;
        Ok(())
    }
}

/// Where the last successful poll got to: the latest `updated_at` it imported.
#[derive(Default, Serialize, Deserialize)]
struct Since {
    updated_after: Option<jiff::Timestamp>,
}

/// Imports the orders changed since the last successful poll; ticks missed while the
/// integration was down are caught up in one poll.
#[flow(schedule = "0 * * * * *", catch_up = "1h", retries = 3, backoff = "5s..1m")]
async fn poll_orders(ctx: Ctx<Settings>) -> Result<usize> {
    let settings = ctx.config();
    let shop = Shop { base: settings.shop_url.clone(), connection: settings.shop.clone(), http: ctx.http().clone() };
    let app = YourApp { base: settings.app_url.clone(), http: ctx.http().clone() };
    let mut since = ctx.cursor::<Since>().await?;
    let after = since.updated_after;
    let orders: Vec<Order> = paginate(1, |page| {
        let shop = &shop;
        async move {
            let listed = shop.orders(after, page).await?;
            Ok(Page { items: listed.orders, next: listed.next_page })
        }
    })
    .try_collect()
    .await?;
    for order in &orders {
        app.import(order).await?;
    }
    if let Some(latest) = orders.iter().map(|order| order.updated_at).max() {
        since.updated_after = Some(latest);
    }
    tracing::info!(imported = orders.len(), "polled the shop");
    Ok(orders.len())
}

aqueduct::integration! {
    name: "orders-poll",
    config: Settings,
    flows: [poll_orders],
    demo: demo::run,
}
