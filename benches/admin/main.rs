//! Admin API benchmark (`cargo bench --bench admin`).
//!
//! A SQLite store holding 1,000,000 runs (written straight into its tables: what is measured is
//! reading them), served by aqueduct; each admin request is sent `REQUESTS` times in turn on one
//! keep-alive connection, against a bare axum handler answering the same bytes as the first
//! page of runs, in the same run. Reported: p50 and p99 per request, and p50 as a multiple of
//! the baseline's. Then the dashboard's first paint (its page, script and style, and the flows,
//! instances and runs it reads) as server time; `/metrics`; and `GET /admin/runs` while
//! 32 connections send deliveries as fast as they are answered.
//!
//! `BENCH_RUNS` changes the number of runs (default 1,000,000), `BENCH_SECONDS` the length of
//! the load (default 10).

#[path = "../ingest/load.rs"]
mod load;

use aqueduct::prelude::*;
use std::time::{Duration, Instant};

const REQUESTS: usize = 200;

#[derive(Deserialize)]
struct Settings {}

#[flow(webhook, path = "/orders")]
async fn orders(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(webhook, path = "/refunds")]
async fn refunds(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

mod app {
    aqueduct::integration! { name: "bench", config: super::Settings, flows: [super::orders, super::refunds] }
}

/// `runs` runs: one in 1,000 dead, one in 10,000 of `refunds`, one in 100 of the instance
/// `beta`; a thousand a second of creation time up to now.
fn fill(path: &std::path::Path, runs: u64) {
    let connection = rusqlite::Connection::open(path).expect("opening the store");
    let now = jiff::Timestamp::now().as_millisecond();
    connection
        .execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
             INSERT INTO runs (flow, instance, cause, status, attempts, created_at, due_at, finished_at, output)
             SELECT CASE WHEN i % 10000 = 0 THEN 'refunds' ELSE 'orders' END,
                    CASE WHEN i % 100 = 0 THEN 'beta' ELSE 'acme' END,
                    'webhook',
                    CASE WHEN i % 1000 = 0 THEN 'dead' ELSE 'succeeded' END,
                    1, ?2 - (?1 - i), ?2 - (?1 - i), ?2 - (?1 - i) + 3, 'null'
             FROM n",
            rusqlite::params![runs as i64, now],
        )
        .expect("writing the runs");
}

/// Sends `GET url` `REQUESTS` times on one connection; the latencies in ms, sorted.
async fn measure(client: &reqwest::Client, url: &str, token: &str) -> Vec<f64> {
    let mut latencies = times(client, url, token, REQUESTS).await;
    latencies.sort_by(f64::total_cmp);
    latencies
}

/// Sends `GET url` `count` times on one connection; the latencies in ms, in order.
async fn times(client: &reqwest::Client, url: &str, token: &str, count: usize) -> Vec<f64> {
    let mut latencies = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        let response = client.get(url).bearer_auth(token).send().await.expect("a request");
        assert!(response.status().is_success(), "{url}: {}", response.status());
        response.bytes().await.expect("a body");
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    latencies
}

fn percentile(sorted: &[f64], percentile: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * percentile).round() as usize]
}

async fn bare_axum(body: bytes::Bytes) -> std::net::SocketAddr {
    let router = axum::Router::new().route(
        "/admin/runs",
        axum::routing::get(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

fn main() {
    aqueduct::__private::init_tracing("warn");
    let runs: u64 = std::env::var("BENCH_RUNS").ok().and_then(|value| value.parse().ok()).unwrap_or(1_000_000);
    let seconds: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|value| value.parse().ok()).unwrap_or(10);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("bench.db");
        let options = aqueduct::ServerOptions {
            store: format!("sqlite:{}", path.display()),
            listen: "127.0.0.1:0".parse().expect("an address"),
            ..Default::default()
        };
        // Started once to create the store, then stopped while the runs are written.
        let server = aqueduct::Server::start(app::INTEGRATION, options.clone()).await.expect("starting aqueduct");
        server.activate("acme", serde_json::json!({})).await.expect("activating acme");
        server.activate("beta", serde_json::json!({})).await.expect("activating beta");
        server.stop().await;
        let filling = Instant::now();
        fill(&path, runs);
        println!("wrote {runs} runs in {:.1} s", filling.elapsed().as_secs_f64());

        let server = aqueduct::Server::start(app::INTEGRATION, options).await.expect("starting aqueduct");
        let token = server.create_admin_token("bench").await.expect("a token").expect("a new token");
        let client = reqwest::Client::new();
        let base = format!("http://{}", server.address());
        let first_page = client.get(format!("{base}/admin/runs")).bearer_auth(&token).send().await.unwrap();
        let first_page = first_page.bytes().await.unwrap();
        let bare = format!("http://{}/admin/runs", bare_axum(first_page).await);
        let middle = runs / 2;
        let dead = runs - runs % 1000;
        let pages: [(&str, String); 10] = [
            ("runs, first page (50)", "/admin/runs".into()),
            ("runs, a page halfway", format!("/admin/runs?before={middle}")),
            ("runs, status=dead", "/admin/runs?status=dead".into()),
            ("runs, flow=refunds", "/admin/runs?flow=refunds".into()),
            ("runs, instance=beta", "/admin/runs?instance=beta".into()),
            // Halfway back through the runs' 1,000 s of creation times.
            ("runs, until 8 min ago", format!("/admin/runs?until={}", jiff::Timestamp::now() - jiff::SignedDuration::from_mins(8))),
            ("one run", format!("/admin/runs/{dead}")),
            ("flows", "/admin/flows".into()),
            ("instances", "/admin/instances".into()),
            ("/metrics", "/metrics".into()),
        ];
        let baseline = measure(&client, &bare, &token).await;
        let base_p50 = percentile(&baseline, 0.5);
        println!("\n{runs} runs in the store; {REQUESTS} requests each, one connection");
        println!("{:<26} {:>9} {:>9} {:>12}", "request", "p50 ms", "p99 ms", "p50 vs bare");
        println!("{:<26} {:>9.3} {:>9.3} {:>12}", "bare axum, same bytes", base_p50, percentile(&baseline, 0.99), "1.0×");
        for (name, path) in &pages {
            let latencies = measure(&client, &format!("{base}{path}"), &token).await;
            let p50 = percentile(&latencies, 0.5);
            println!("{name:<26} {p50:>9.3} {:>9.3} {:>11.1}×", percentile(&latencies, 0.99), p50 / base_p50);
        }

        // The dashboard's first paint: its three files, then the three reads it starts with.
        let paint = ["/admin/ui", "/admin/ui/app.js", "/admin/ui/style.css", "/admin/flows", "/admin/instances", "/admin/runs"];
        let mut totals = Vec::with_capacity(REQUESTS);
        for _ in 0..REQUESTS / 4 {
            let started = Instant::now();
            for path in paint {
                let response = client.get(format!("{base}{path}")).bearer_auth(&token).send().await.unwrap();
                response.bytes().await.unwrap();
            }
            totals.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        totals.sort_by(f64::total_cmp);
        println!(
            "\ndashboard first paint, server time for its 6 requests in turn: p50 {:.2} ms, p99 {:.2} ms (goal < 200 ms)",
            percentile(&totals, 0.5),
            percentile(&totals, 0.99)
        );

        // `GET /admin/runs` while deliveries arrive as fast as they are answered.
        let target = load::Target {
            address: server.address(),
            path: "/hooks/acme/orders",
            headers: Vec::new,
            body: bytes::Bytes::from_static(b"{}"),
        };
        let loading = tokio::spawn(async move { load::run(&target, 32, Duration::from_secs(1), Duration::from_secs(seconds)).await });
        tokio::time::sleep(Duration::from_secs(2)).await;
        let mut under_load = Vec::new();
        let until = Instant::now() + Duration::from_secs(seconds.saturating_sub(2).max(1));
        while Instant::now() < until {
            under_load.extend(times(&client, &format!("{base}/admin/runs"), &token, 10).await);
        }
        under_load.sort_by(f64::total_cmp);
        let ingest = loading.await.expect("the load");
        println!(
            "\nGET /admin/runs under ingest: p50 {:.2} ms, p99 {:.2} ms over {} requests",
            percentile(&under_load, 0.5),
            percentile(&under_load, 0.99),
            under_load.len()
        );
        println!(
            "the ingest: {:.0} deliveries/s on 32 connections, p99 {:.2} ms, {:.0} µs CPU each, {} errors",
            ingest.per_second(),
            ingest.percentile_ms(99.0),
            ingest.cpu_micros_per_request(),
            ingest.errors
        );
        server.stop().await;
    });
}
