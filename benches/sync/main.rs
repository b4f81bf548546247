//! Sync flow benchmark (`cargo bench --bench sync`).
//!
//! A no-op sync flow, its run recorded (admitted through the store's group commit, executed,
//! its reply recorded), against a bare axum handler that parses the same payload and answers
//! the same JSON, in one run and under the same load: a closed loop of 1 and of 16 keep-alive
//! connections (a sync caller waits for its answer, so latency under moderate load is what it
//! feels; at saturation both would only measure their queues). Five rounds each, in turn;
//! medians of p50 and p99 are reported, and their differences.
//!
//! `BENCH_SECONDS` changes each round's length (default 5).

#[path = "../ingest/load.rs"]
mod load;

use aqueduct::prelude::*;
use load::Target;
use std::net::SocketAddr;
use std::time::Duration;

const ROUNDS: usize = 5;
const WARMUP: Duration = Duration::from_secs(1);
const PAYLOAD: &str = r#"{"email":"ada@example.com"}"#;

#[derive(Deserialize)]
struct Settings {}

#[derive(Deserialize, Serialize)]
struct Lookup {
    email: String,
}

/// A no-op sync flow with a typed payload and reply: what is measured is the runtime around it.
#[flow(sync, path = "/lookup", timeout = "2s")]
async fn lookup(_ctx: Ctx<Settings>, Json(lookup): Json<Lookup>) -> Result<Json<Lookup>> {
    Ok(Json(lookup))
}

mod app {
    aqueduct::integration! { name: "bench", config: super::Settings, flows: [super::lookup] }
}

async fn bare_axum() -> SocketAddr {
    async fn answer(axum::Json(lookup): axum::Json<Lookup>) -> axum::Json<Lookup> {
        axum::Json(lookup)
    }
    let router = axum::Router::new().route("/hooks/acme/lookup", axum::routing::post(answer));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

fn main() {
    aqueduct::__private::init_tracing("warn");
    let seconds: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|value| value.parse().ok()).unwrap_or(5);
    let measure = Duration::from_secs(seconds);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let options = aqueduct::ServerOptions {
            store: format!("sqlite:{}", dir.path().join("bench.db").display()),
            listen: "127.0.0.1:0".parse().expect("an address"),
            ..Default::default()
        };
        let server = aqueduct::Server::start(app::INTEGRATION, options).await.expect("starting aqueduct");
        server.activate("acme", serde_json::json!({})).await.expect("activating the instance");
        let target = |address| Target {
            address,
            path: "/hooks/acme/lookup",
            headers: Vec::new,
            body: bytes::Bytes::from_static(PAYLOAD.as_bytes()),
        };
        let (bare, sync) = (target(bare_axum().await), target(server.address()));
        for connections in [1, 16] {
            println!("\n{connections} connection(s), {seconds}s per round");
            println!("{:<20} {:>10} {:>9} {:>9} {:>11} {:>7}", "round", "req/s", "p50 ms", "p99 ms", "cpu µs/req", "errors");
            let mut measured: [Vec<load::Measured>; 2] = [Vec::new(), Vec::new()];
            for round in 1..=ROUNDS {
                for turn in 0..2 {
                    // Each round starts with the other target, so neither always runs on a warmer machine.
                    let index = (round + turn) % 2;
                    let (label, target) = [("bare axum", &bare), ("aqueduct sync", &sync)][index];
                    let result = load::run(target, connections, WARMUP, measure).await;
                    println!(
                        "{:<20} {:>10.0} {:>9.3} {:>9.3} {:>11.1} {:>7}",
                        format!("{round} {label}"),
                        result.per_second(),
                        result.percentile_ms(50.0),
                        result.percentile_ms(99.0),
                        result.cpu_micros_per_request(),
                        result.errors
                    );
                    measured[index].push(result);
                }
            }
            let [bare_runs, sync_runs] = &measured;
            let (bare_p50, bare_p99) = (median(bare_runs, 50.0), median(bare_runs, 99.0));
            let (sync_p50, sync_p99) = (median(sync_runs, 50.0), median(sync_runs, 99.0));
            println!(
                "medians: bare p50 {bare_p50:.3} ms p99 {bare_p99:.3} ms; sync p50 {sync_p50:.3} ms p99 {sync_p99:.3} ms; \
                 sync − bare: p50 +{:.3} ms (goal ≤ +0.5 ms), p99 +{:.3} ms; p50 ratio {:.2}",
                sync_p50 - bare_p50,
                sync_p99 - bare_p99,
                sync_p50 / bare_p50
            );
        }
        let database = rusqlite::Connection::open(dir.path().join("bench.db")).expect("opening the store");
        let recorded: i64 = database
            .query_row("SELECT count(*) FROM runs WHERE flow = 'lookup' AND status = 'succeeded'", [], |row| row.get(0))
            .expect("counting runs");
        println!("\n{recorded} sync runs recorded as succeeded");
        server.stop().await;
    });
}

/// The median over rounds of each round's `percentile` latency, in ms.
fn median(runs: &[load::Measured], percentile: f64) -> f64 {
    let mut values: Vec<f64> = runs.iter().map(|run| run.percentile_ms(percentile)).collect();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
