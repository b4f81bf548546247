//! Scheduled file export: every night, yesterday's sales in your app are written as a CSV
//! report to the customer's S3 bucket (or any folder). Rows are written as they are fetched,
//! page by page, so a large report needs no more memory than a small one; the file appears
//! whole or not at all, and its name comes from the night it reports on, so a retried run
//! replaces it instead of adding a second one.
//!
//! `cargo run --example nightly_report` runs a demo with a local folder standing in for the
//! bucket (an `s3://` folder works the same; see the README).

mod demo;
#[cfg(test)]
#[path = "../../tests/services/mod.rs"]
mod services;
#[cfg(test)]
mod tests;

use aqueduct::files::{self, Exported, Folder};
use aqueduct::prelude::*;
use aqueduct::{Page, paginate};
use futures::TryStreamExt;

/// One customer's bucket and your app.
#[derive(Deserialize, JsonSchema)]
struct Settings {
    /// Where reports go: `s3://bucket/prefix` with its credentials, or a local folder.
    reports: Folder,
    /// Your app's API, whose sales are reported.
    app_url: Url,
}

/// One sale: a row of the report.
#[derive(Debug, Serialize, Deserialize)]
struct Sale {
    order_id: String,
    sku: String,
    quantity: u32,
    total_cents: u64,
}

/// One page of your app's `GET /sales`.
#[derive(Deserialize)]
struct SalesPage {
    sales: Vec<Sale>,
    next_page: Option<u32>,
}

/// Writes `sales-DATE.csv` with the sales of the day before the night's tick (Berlin time).
#[flow(schedule = "0 0 2 * * *", tz = "Europe/Berlin", retries = 5, backoff = "1m..30m")]
async fn nightly_sales(ctx: Ctx<Settings>) -> Result<Exported> {
    let night = ctx.tick().map_or_else(jiff::Timestamp::now, |tick| tick.at);
    let day = night.in_tz("Europe/Berlin")?.date().yesterday()?;
    let (http, app) = (ctx.http(), &ctx.config().app_url);
    let mut report = files::export(&ctx.config().reports, &format!("sales/sales-{day}.csv")).csv::<Sale>().await?;
    let mut sales = std::pin::pin!(paginate(1, |page| async move {
        let url = app.join("sales")?;
        let query = [("date", day.to_string()), ("page", page.to_string())];
        let listed: SalesPage = http.get(url).query(&query).send().await?.check_status()?.json().await?;
        Ok(Page { items: listed.sales, next: listed.next_page })
    }));
    while let Some(sale) = sales.try_next().await? {
        report.write(&sale).await?;
    }
    report.finish().await
}

aqueduct::integration! {
    name: "nightly-report",
    config: Settings,
    flows: [nightly_sales],
    demo: demo::run,
}
