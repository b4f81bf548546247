//! Scheduled data import, through the test harness: the cursor advances only with a run's
//! success, and change detection hands on each change once, losing none to a failed run.

use aqueduct::prelude::*;
use aqueduct::testing::Harness;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Deserialize)]
struct Settings {}

#[derive(Serialize, Clone)]
struct Product {
    sku: &'static str,
    price: u32,
}

impl Record for Product {
    fn id(&self) -> String {
        self.sku.to_owned()
    }
}

/// What the third party lists now, and whether the import fails after reading the changes.
static LISTED: Mutex<Vec<Product>> = Mutex::new(Vec::new());
static FAIL: AtomicBool = AtomicBool::new(false);

#[derive(Default, Serialize, Deserialize)]
struct Imported {
    runs: u32,
}

#[flow(schedule = "0 * * * *", retries = 0)]
async fn sync_catalog(ctx: Ctx<Settings>) -> Result<serde_json::Value> {
    let mut cursor = ctx.cursor::<Imported>().await?;
    let listed = LISTED.lock().unwrap().clone();
    let changes = ctx.changes(listed).await?;
    let skus = |products: &[Product]| products.iter().map(|product| product.sku).collect::<Vec<_>>();
    let seen = serde_json::json!({
        "cursor": cursor.runs,
        "created": skus(&changes.created),
        "updated": skus(&changes.updated),
        "deleted": changes.deleted,
    });
    cursor.runs += 1;
    if FAIL.load(Ordering::SeqCst) {
        return Err(Error::msg(format!("the import failed after reading {seen}")));
    }
    Ok(seen)
}

mod app {
    aqueduct::integration! { name: "catalog", config: super::Settings, flows: [super::sync_catalog] }
}

fn list(products: &[(&'static str, u32)]) {
    *LISTED.lock().unwrap() = products.iter().map(|(sku, price)| Product { sku, price: *price }).collect();
}

#[tokio::test]
async fn changes_and_the_cursor_are_committed_only_with_a_successful_run() {
    let harness = Harness::start(app::INTEGRATION).await.unwrap();
    harness.activate("acme", serde_json::json!({})).await.unwrap();
    let mut hour = "2026-12-01T00:00:00Z".parse::<jiff::Timestamp>().unwrap();
    let mut tick = async |harness: &Harness<Settings>| {
        hour += jiff::SignedDuration::from_hours(1);
        harness.run(harness.tick::<sync_catalog>("acme", hour).await.unwrap()).await.unwrap()
    };

    list(&[("a", 1), ("b", 1)]);
    let first = tick(&harness).await;
    let expected = serde_json::json!({ "cursor": 0, "created": ["a", "b"], "updated": [], "deleted": [] });
    assert_eq!(first.output, Some(expected));

    // a's price changes and c appears, but the run fails: neither the cursor nor what was seen moves.
    list(&[("a", 2), ("b", 1), ("c", 1)]);
    FAIL.store(true, Ordering::SeqCst);
    let failed = tick(&harness).await;
    assert_eq!(failed.status, "dead");
    FAIL.store(false, Ordering::SeqCst);
    let retried = tick(&harness).await;
    let expected = serde_json::json!({ "cursor": 1, "created": ["c"], "updated": ["a"], "deleted": [] });
    assert_eq!(retried.output, Some(expected), "nothing lost to the failed run");

    list(&[("c", 1)]);
    let expected = serde_json::json!({ "cursor": 2, "created": [], "updated": [], "deleted": ["a", "b"] });
    assert_eq!(tick(&harness).await.output, Some(expected));
    let expected = serde_json::json!({ "cursor": 3, "created": [], "updated": [], "deleted": [] });
    assert_eq!(tick(&harness).await.output, Some(expected), "nothing handed on twice");
    harness.stop().await;
}
