//! One-way, event-driven export: your product posts `order.created` webhooks (signed the
//! Standard Webhooks way); each is turned into an invoice in the customer's accounting app.
//! The accounting app throttles now and then (429 with `Retry-After`); the run waits and tries
//! again, and its idempotency key keeps a retried invoice from being created twice.
//!
//! `cargo run --example orders_export` runs a demo against a fake product and accounting app.

mod demo;
#[cfg(test)]
mod tests;

use aqueduct::prelude::*;

/// Exporting your product's orders to a customer's accounting system.
// `JsonSchema`: `instances schema` prints this type, doc comments and all, for a marketplace form.
#[derive(Deserialize, JsonSchema)]
struct Settings {
    /// Your product signs its webhooks to this integration with this secret.
    orders_secret: Secret,
    /// The accounting system's API.
    accounting_url: Url,
    /// How we authenticate to it, e.g. `{ type = "bearer", token = "…" }`.
    accounting: Connection,
}

/// Your product's webhook.
#[derive(Deserialize)]
struct OrderCreated {
    data: Order,
}

#[derive(Deserialize)]
struct Order {
    id: String,
    customer: String,
    currency: String,
    lines: Vec<OrderLine>,
}

#[derive(Deserialize)]
struct OrderLine {
    sku: String,
    quantity: u32,
    unit_price_cents: u64,
}

/// The accounting app's invoice.
#[derive(Serialize)]
struct Invoice {
    reference: String,
    contact: String,
    currency: String,
    line_items: Vec<InvoiceLine>,
    total: String,
}

#[derive(Serialize)]
struct InvoiceLine {
    item_code: String,
    quantity: u32,
    unit_amount: String,
}

fn amount(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

impl From<&Order> for Invoice {
    fn from(order: &Order) -> Invoice {
        let total: u64 = order.lines.iter().map(|line| line.unit_price_cents * u64::from(line.quantity)).sum();
        Invoice {
            reference: order.id.clone(),
            contact: order.customer.clone(),
            currency: order.currency.to_uppercase(),
            line_items: order
                .lines
                .iter()
                .map(|line| InvoiceLine {
                    item_code: line.sku.clone(),
                    quantity: line.quantity,
                    unit_amount: amount(line.unit_price_cents),
                })
                .collect(),
            total: amount(total),
        }
    }
}

/// The customer's accounting app.
#[component]
struct Accounting {
    base: Url,
    connection: Connection,
    http: reqwest::Client,
}

#[component]
impl Accounting {
    fn connect(ctx: &impl FlowContext<Settings>) -> Accounting {
        let settings = ctx.config();
        Accounting {
            base: settings.accounting_url.clone(),
            connection: settings.accounting.clone(),
            http: ctx.http().clone(),
        }
    }

    /// Creates the invoice once, however often it is sent: the order id is the idempotency key.
    #[action]
    async fn create_invoice(&self, invoice: &Invoice) -> Result<()> {
        let request = self.http.post(self.base.join("invoices")?).header("idempotency-key", &invoice.reference);
        self.connection.send(request.json(invoice)).await?.check_status()?;
        Ok(())
    }
}

#[flow(
    webhook,
    path = "/orders",
    verify = standard_webhooks(secret = orders_secret),
    dedupe = header("webhook-id"),
    retries = 5,
    backoff = "500ms..1m"
)]
async fn order_created(ctx: Ctx<Settings>, Json(event): Json<OrderCreated>) -> Result<String> {
    let invoice = Invoice::from(&event.data);
    Accounting::connect(&ctx).create_invoice(&invoice).await?;
    Ok(format!("invoice {} for {} {}", invoice.reference, invoice.total, invoice.currency))
}

aqueduct::integration! {
    name: "orders-export",
    config: Settings,
    flows: [order_created],
    demo: demo::run,
}
