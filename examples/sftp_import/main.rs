//! Scheduled file import: a customer's ERP drops CSV files of orders on its SFTP server; on
//! each instance's schedule the new files are imported into your app, one file at a time. A
//! file imported is moved to `processed/` and never imported again, across crashes too; a
//! file with a row that does not parse goes to `failed/` with its error beside it; a file
//! still being uploaded is left for the next run.
//!
//! `cargo run --example sftp_import` runs a demo with a local folder standing in for the SFTP
//! server (an `sftp://` folder works the same; see the README).

mod demo;
#[cfg(test)]
#[path = "../../tests/services/mod.rs"]
mod services;
#[cfg(test)]
mod tests;

use aqueduct::files::{self, Folder, Imported};
use aqueduct::prelude::*;

/// One customer's drop folder and your app.
#[derive(Deserialize, JsonSchema)]
struct Settings {
    /// Where the ERP drops its files: `sftp://user@host/path` with `host_key` and `password`
    /// or `private_key`, or a local folder.
    drop: Folder,
    /// When to look for new files (a cron in UTC), e.g. `"0 */5 * * * *"`.
    schedule: String,
    /// Your app's API, where the orders are imported.
    app_url: Url,
}

/// One row of the ERP's CSV files.
#[derive(Debug, Serialize, Deserialize)]
struct Order {
    order_id: String,
    sku: String,
    quantity: u32,
    total_cents: u64,
}

/// Imports the new files of the drop folder's `outgoing/`, each row an order.
#[flow(schedule = config(schedule), timeout = "1h", retries = 5, backoff = "10s..5m")]
async fn import_files(ctx: Ctx<Settings>) -> Result<Imported> {
    let app = &ctx.config().app_url;
    let http = ctx.http();
    files::import(&ctx, &ctx.config().drop, "outgoing/*.csv")
        .each(|file| async move {
            let key = file.idempotency_key();
            let mut orders = file.csv::<Order>().await?;
            let mut rows = 0;
            while let Some(order) = orders.next().await? {
                let url = app.join(&format!("orders/{}", order.order_id))?;
                // A file a crash interrupted is imported again: the app sees the same key.
                http.put(url).header("idempotency-key", &key).json(&order).send().await?.check_status()?;
                rows += 1;
            }
            tracing::info!(file = file.path(), rows, "imported");
            Ok(())
        })
        .await
}

aqueduct::integration! {
    name: "sftp-import",
    config: Settings,
    flows: [import_files],
    demo: demo::run,
}
