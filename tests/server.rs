//! `aqueduct::Server` in a process that goes on after it stops (a test's, a benchmark's):
//! stopping it stops everything it started, and lets its store go.

use aqueduct::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static TICKS: AtomicUsize = AtomicUsize::new(0);

#[derive(Deserialize)]
struct Settings {}

#[flow(schedule = "* * * * * *")]
async fn every_second(_ctx: Ctx<Settings>) -> Result<()> {
    TICKS.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

mod app {
    aqueduct::integration! { name: "stopping", config: super::Settings, flows: [super::every_second] }
}

fn stored_runs(store: &std::path::Path) -> i64 {
    let connection = rusqlite::Connection::open(store).unwrap();
    connection.query_row("SELECT count(*) FROM runs", [], |row| row.get(0)).unwrap()
}

#[tokio::test]
async fn a_stopped_server_ticks_no_more() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.db");
    let options = aqueduct::ServerOptions {
        store: format!("sqlite:{}", store.display()),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    };
    let server = aqueduct::Server::start(app::INTEGRATION, options).await.unwrap();
    server.activate("acme", serde_json::json!({})).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TICKS.load(Ordering::Relaxed) == 0 {
        assert!(Instant::now() < deadline, "the schedule never ticked");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.stop().await;
    let stopped = stored_runs(&store);
    // Past the next two fire times.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(stored_runs(&store), stopped, "ticks were stored after the server stopped");
}

#[tokio::test]
async fn a_stopped_server_lets_its_store_go_so_another_starts_on_it_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let options = aqueduct::ServerOptions {
        store: format!("sqlite:{}", dir.path().join("store.db").display()),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    };
    let first = aqueduct::Server::start(app::INTEGRATION, options.clone()).await.unwrap();
    first.stop().await;
    let second = aqueduct::Server::start(app::INTEGRATION, options).await.expect("the store is free");
    second.stop().await;
}
