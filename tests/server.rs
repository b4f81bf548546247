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

/// An OpenTelemetry collector: what is POSTed to `/v1/traces`, as JSON.
async fn collector() -> (url::Url, std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>) {
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = received.clone();
    let router = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let kept = kept.clone();
            async move { kept.lock().unwrap().push(body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap()).parse().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, received)
}

#[tokio::test]
async fn with_a_collector_each_attempt_is_sent_as_a_span_of_its_runs_trace() {
    let dir = tempfile::tempdir().unwrap();
    let (endpoint, received) = collector().await;
    let options = aqueduct::ServerOptions {
        store: format!("sqlite:{}", dir.path().join("store.db").display()),
        listen: "127.0.0.1:0".parse().unwrap(),
        otlp_endpoint: Some(endpoint),
        ..Default::default()
    };
    let server = aqueduct::Server::start(app::INTEGRATION, options).await.unwrap();
    server.activate("acme", serde_json::json!({})).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let request = loop {
        if let Some(request) = received.lock().unwrap().first().cloned() {
            break request;
        }
        assert!(Instant::now() < deadline, "no span reached the collector");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    server.stop().await;
    let resource = &request["resourceSpans"][0];
    assert_eq!(resource["resource"]["attributes"][0]["value"]["stringValue"], "stopping", "the service");
    let span = &resource["scopeSpans"][0]["spans"][0];
    assert_eq!(span["name"], "every_second", "{span}");
    assert_eq!(span["status"]["code"], 1, "succeeded: {span}");
    assert_eq!(span["traceId"].as_str().unwrap().len(), 32);
    let attributes: std::collections::HashMap<&str, &serde_json::Value> = span["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|attribute| (attribute["key"].as_str().unwrap(), &attribute["value"]))
        .collect();
    assert_eq!(attributes["aqueduct.instance"]["stringValue"], "acme");
    assert_eq!(attributes["aqueduct.outcome"]["stringValue"], "succeeded");
    assert!(attributes["aqueduct.run_id"]["intValue"].as_str().unwrap().parse::<u64>().is_ok());
}
