//! The demo: a local folder stands in for the ERP's SFTP server, and a fake app prints what it
//! is sent. Two good files and one with a bad row are dropped; a run imports them; a second
//! run finds nothing new.

use crate::Settings;
use aqueduct::prelude::*;
use axum::extract::Path;
use axum::http::StatusCode;
use std::time::Duration;

async fn fake_app() -> Result<Url> {
    let router = axum::Router::new().route(
        "/orders/{id}",
        axum::routing::put(|Path(id): Path<String>, axum::Json(order): axum::Json<crate::Order>| async move {
            println!("  your app: order {id}: {} × {}", order.quantity, order.sku);
            StatusCode::NO_CONTENT
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = Url::parse(&format!("http://{}/", listener.local_addr()?))?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

/// Prints the folder's files, relative to it.
fn show(folder: &std::path::Path, under: &str) -> Result<()> {
    let mut names: Vec<String> = std::fs::read_dir(folder.join(under))
        .map(|entries| {
            entries.filter_map(|entry| Some(entry.ok()?.file_name().to_string_lossy().into_owned())).collect()
        })
        .unwrap_or_default();
    names.sort();
    println!("  {under:<10} {}", if names.is_empty() { "(empty)".to_owned() } else { names.join(", ") });
    Ok(())
}

pub(crate) async fn run(demo: Demo<Settings>) -> Result<()> {
    let app_url = fake_app().await?;
    let drop = std::env::temp_dir().join(format!("aqueduct-sftp-import-demo-{}", std::process::id()));
    std::fs::create_dir_all(drop.join("outgoing"))?;
    let header = "order_id,sku,quantity,total_cents\n";
    std::fs::write(drop.join("outgoing/orders-0001.csv"), format!("{header}A-1,WIDGET,2,1998\nA-2,GADGET,1,4900\n"))?;
    std::fs::write(drop.join("outgoing/orders-0002.csv"), format!("{header}A-3,WIDGET,5,4995\n"))?;
    std::fs::write(drop.join("outgoing/orders-0003.csv"), format!("{header}A-4,WIDGET,two,1998\n"))?;
    println!("the ERP dropped three files in {}:", drop.display());
    show(&drop, "outgoing")?;

    let settings = serde_json::json!({ "drop": drop, "schedule": "0 */5 * * * *", "app_url": app_url });
    demo.activate("demo", settings).await?;
    println!("\nfirst run: each file imported, the bad one moved aside with its error");
    demo.tick::<crate::import_files>("demo").await?;
    demo.wait_for_runs::<crate::import_files>(1, Duration::from_secs(30)).await?;
    for under in ["outgoing", "processed", "failed"] {
        show(&drop, under)?;
    }
    println!(
        "  the error: {}",
        std::fs::read_to_string(drop.join("failed/orders-0003.csv.error.txt"))?.lines().next().unwrap_or("")
    );

    println!("\nsecond run: nothing new");
    demo.tick::<crate::import_files>("demo").await?;
    demo.wait_for_runs::<crate::import_files>(2, Duration::from_secs(30)).await?;
    println!();
    demo.print_runs().await?;
    std::fs::remove_dir_all(&drop)?;
    Ok(())
}
