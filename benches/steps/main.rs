//! Step overhead benchmark (`cargo bench --bench steps`).
//!
//! The same loopback HTTP call made two ways in one run: (a) a bare `reqwest` call, and (b) the
//! call as a component's `#[action]` inside a running flow, where it is a durable step (its
//! output committed to the store before the flow goes on). Each call is timed on its own;
//! medians and p99 are compared. `BENCH_CALLS` sets the number of calls (default 2,000).

use aqueduct::prelude::*;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What each recorded call took, as the flow saw it.
static RECORDED: Mutex<Vec<Duration>> = Mutex::new(Vec::new());

#[derive(Deserialize)]
struct Settings {
    api_url: Url,
}

#[component]
struct Api {
    base: Url,
    http: reqwest::Client,
}

#[derive(Serialize, Deserialize)]
struct Answer {
    ok: bool,
}

#[component]
impl Api {
    #[action]
    async fn call(&self) -> Result<Answer> {
        Ok(self.http.post(self.base.clone()).send().await?.check_status()?.json().await?)
    }
}

#[derive(Deserialize)]
struct Calls {
    n: usize,
}

/// Makes `n` calls in a row, timing each.
#[flow(webhook, path = "/calls", timeout = "30m")]
async fn calls(ctx: Ctx<Settings>, Query(calls): Query<Calls>) -> Result<()> {
    let api = Api { base: ctx.config().api_url.clone(), http: ctx.http().clone() };
    let mut took = Vec::with_capacity(calls.n);
    for _ in 0..calls.n {
        let started = Instant::now();
        api.call().await?;
        took.push(started.elapsed());
    }
    RECORDED.lock().unwrap().extend(took);
    Ok(())
}

mod app {
    aqueduct::integration! { name: "steps-bench", config: super::Settings, flows: [super::calls] }
}

fn main() {
    aqueduct::__private::init_tracing("warn");
    let calls: usize = std::env::var("BENCH_CALLS").ok().and_then(|value| value.parse().ok()).unwrap_or(2_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let api = third_party().await;
        let http = reqwest::Client::new();
        let mut bare = Vec::with_capacity(calls);
        for _ in 0..calls {
            let started = Instant::now();
            let answer: Answer = http.post(api.clone()).send().await.unwrap().json().await.unwrap();
            assert!(answer.ok);
            bare.push(started.elapsed());
        }

        let dir = tempfile::tempdir().expect("a temporary directory");
        let options = aqueduct::ServerOptions {
            store: format!("sqlite:{}", dir.path().join("steps.db").display()),
            listen: "127.0.0.1:0".parse().expect("an address"),
            ..Default::default()
        };
        let server = aqueduct::Server::start(app::INTEGRATION, options).await.expect("starting aqueduct");
        server.activate("acme", serde_json::json!({ "api_url": api })).await.expect("activating");
        let url = format!("{}hooks/acme/calls?n={calls}", server.url());
        assert_eq!(http.post(url).send().await.unwrap().status(), 202);
        let deadline = Instant::now() + Duration::from_secs(1800);
        while RECORDED.lock().unwrap().len() < calls {
            assert!(Instant::now() < deadline, "the flow did not finish");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let recorded = std::mem::take(&mut *RECORDED.lock().unwrap());
        server.stop().await;

        let (bare, recorded) = (Figures::of(bare), Figures::of(recorded));
        println!("{calls} calls to a loopback HTTP server, one at a time\n");
        println!("{:<34} {:>10} {:>10}", "", "median µs", "p99 µs");
        println!("{:<34} {:>10.0} {:>10.0}", "bare reqwest call", bare.median, bare.p99);
        println!("{:<34} {:>10.0} {:>10.0}", "#[action] call, a durable step", recorded.median, recorded.p99);
        println!(
            "\noverhead of a recorded step: {:.0} µs at the median ({:.1}×), {:.0} µs at p99",
            recorded.median - bare.median,
            recorded.median / bare.median,
            recorded.p99 - bare.p99
        );
    });
}

/// A third party that answers `{"ok":true}`.
async fn third_party() -> Url {
    let router =
        axum::Router::new().route("/", axum::routing::post(|| async { axum::Json(serde_json::json!({ "ok": true })) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    Url::parse(&format!("http://{address}/")).expect("a URL")
}

/// Median and p99 of some durations, in µs.
struct Figures {
    median: f64,
    p99: f64,
}

impl Figures {
    fn of(mut took: Vec<Duration>) -> Figures {
        took.sort();
        let at = |quantile: f64| took[((took.len() - 1) as f64 * quantile).round() as usize].as_secs_f64() * 1e6;
        Figures { median: at(0.5), p99: at(0.99) }
    }
}
