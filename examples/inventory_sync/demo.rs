//! The demo: fake apps on loopback, one instance activated against them, a few webhooks.

use crate::Settings;
use crate::fake_apps::FakeApps;
use aqueduct::prelude::*;
use std::time::Duration;

/// The inventory app's own webhooks the fake sends after registration: the seed payload first.
pub(crate) const DELIVERIES: [&str; 3] = [
    r#"{"updates":[{"item":"widgets","action":"add","quantity":20},{"item":"gadgets","action":"remove","quantity":5}]}"#,
    r#"{"updates":[{"item":"sprockets","action":"add","quantity":7}]}"#,
    r#"{"updates":[{"item":"widgets","action":"remove","quantity":3}]}"#,
];

pub(crate) async fn run(demo: Demo<Settings>) -> Result<()> {
    let apps = FakeApps::start(&DELIVERIES).await?;
    println!("fake inventory app at {} and catalog at {}", apps.inventory_url(), apps.catalog_url());
    demo.activate(
        "demo",
        serde_json::json!({
            "inventory_url": apps.inventory_url(),
            "inventory_token": crate::fake_apps::TOKEN,
            "catalog_url": apps.catalog_url(),
        }),
    )
    .await?;
    demo.wait_for_runs::<crate::stock_changed>(DELIVERIES.len(), Duration::from_secs(30)).await?;
    println!();
    demo.print_runs().await?;
    println!("\ncatalog stock now: {}", apps.catalog_stock());
    println!("\nStill serving. Send your own (Ctrl-C stops):");
    println!(
        "  curl -X POST {} -H 'content-type: application/json' -d '{}'",
        demo.endpoint::<crate::stock_changed>("demo"),
        DELIVERIES[1]
    );
    println!("  cargo run --example inventory_sync -- runs");
    Ok(())
}
