//! The demo: a local folder stands in for the customer's bucket, and a fake app lists five
//! sales, two a page. One night's run writes the report; it is printed.

use crate::Settings;
use aqueduct::prelude::*;
use axum::extract::Query;
use std::collections::HashMap;
use std::time::Duration;

async fn fake_app() -> Result<Url> {
    let router = axum::Router::new().route(
        "/sales",
        axum::routing::get(|Query(query): Query<HashMap<String, String>>| async move {
            let page: usize = query.get("page").and_then(|page| page.parse().ok()).unwrap_or(1);
            let sales: Vec<serde_json::Value> = (1..=5)
                .map(|n| serde_json::json!({ "order_id": format!("S-{n}"), "sku": "WIDGET", "quantity": n, "total_cents": n * 999 }))
                .collect();
            let on_page: Vec<_> = sales.iter().skip((page - 1) * 2).take(2).cloned().collect();
            let next_page = (sales.len() > page * 2).then_some(page + 1);
            axum::Json(serde_json::json!({ "sales": on_page, "next_page": next_page }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = Url::parse(&format!("http://{}/", listener.local_addr()?))?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

pub(crate) async fn run(demo: Demo<Settings>) -> Result<()> {
    let app_url = fake_app().await?;
    let bucket = std::env::temp_dir().join(format!("aqueduct-nightly-report-demo-{}", std::process::id()));
    demo.activate("demo", serde_json::json!({ "reports": bucket, "app_url": app_url })).await?;
    println!("tonight's run, reporting yesterday's sales to {}", bucket.display());
    demo.tick::<crate::nightly_sales>("demo").await?;
    demo.wait_for_runs::<crate::nightly_sales>(1, Duration::from_secs(30)).await?;
    for entry in std::fs::read_dir(bucket.join("sales"))? {
        let path = entry?.path();
        println!("\n{}:\n{}", path.display(), std::fs::read_to_string(&path)?);
    }
    demo.print_runs().await?;
    std::fs::remove_dir_all(&bucket)?;
    Ok(())
}
