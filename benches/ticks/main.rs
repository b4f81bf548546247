//! Tick lateness benchmark (`cargo bench --bench ticks`).
//!
//! A per-second schedule flow on 100 instances for a minute (`BENCH_SECONDS`, `BENCH_INSTANCES`):
//! how long after its tick each run starts, and (from the store) when it was recorded as
//! finished. The baseline, measured in the same run, is what the runtime alone allows: 100
//! bare tokio tasks spawned at each second boundary, and how long after it each starts. With the
//! `postgres` feature, the same schedule is run again by one server on PostgreSQL and by three
//! sharing one database (see `common/postgres_database.rs`), which must fire each tick once
//! between them.

#[cfg(feature = "postgres")]
#[path = "../common/postgres_database.rs"]
mod postgres_database;

use aqueduct::prelude::*;
use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long after its tick each run started.
static LATENESS: Mutex<Vec<Duration>> = Mutex::new(Vec::new());
/// Each instance's ticks run, and how many ran again (by two servers sharing a store).
static RUN: Mutex<Option<HashSet<(String, i64)>>> = Mutex::new(None);
static RUN_TWICE: AtomicUsize = AtomicUsize::new(0);

#[derive(Deserialize)]
struct Settings {}

#[flow(schedule = "* * * * * *")]
async fn every_second(ctx: Ctx<Settings>) -> Result<()> {
    let tick = ctx.tick().expect("a tick").at;
    let late = jiff::Timestamp::now().duration_since(tick);
    LATENESS.lock().unwrap().push(Duration::try_from(late).unwrap_or_default());
    if !RUN.lock().unwrap().get_or_insert_default().insert((ctx.instance().to_owned(), tick.as_second())) {
        RUN_TWICE.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

mod app {
    aqueduct::integration! { name: "ticks-bench", config: super::Settings, flows: [super::every_second] }
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn main() {
    aqueduct::__private::init_tracing("warn");
    let seconds = setting("BENCH_SECONDS", 60);
    let instances = setting("BENCH_INSTANCES", 100);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let baseline = bare_ticks(seconds.min(20), instances).await;

        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = format!("sqlite:{}", dir.path().join("ticks.db").display());
        let (measured, elapsed) = schedule_runs(&store, 1, instances, seconds).await;
        let finished = finished_after_tick(&dir.path().join("ticks.db"), measured.len());

        let (bare, ticks, finished) = (Figures::of(baseline), Figures::of(measured), Figures::of(finished));
        println!("a per-second schedule on {instances} instances for {elapsed:.0?}: {} runs\n", ticks.count);
        println!("{:<40} {:>9} {:>9} {:>9} {:>9}", "start after the tick", "p50 ms", "p95 ms", "p99 ms", "max ms");
        let mut rows = vec![
            ("bare tokio tasks (baseline)", bare),
            ("aqueduct schedule runs", ticks),
            ("… recorded as finished", finished),
        ];
        rows.extend(on_postgres(instances, seconds).await);
        for (name, figures) in &rows {
            println!("{name:<40} {:>9.2} {:>9.2} {:>9.2} {:>9.2}", figures.p50, figures.p95, figures.p99, figures.max);
        }
        let (bare, ticks) = (&rows[0].1, &rows[1].1);
        println!("\naqueduct over the baseline: p50 {:.1}×, p99 {:.1}×", ticks.p50 / bare.p50, ticks.p99 / bare.p99);
        if let Some((_, shared)) = rows.get(3) {
            println!(
                "three servers on PostgreSQL over the baseline: p50 {:.1}×, p99 {:.1}×",
                shared.p50 / bare.p50,
                shared.p99 / bare.p99
            );
        }
        let twice = RUN_TWICE.load(Ordering::Relaxed);
        println!("ticks run twice: {twice}");
        assert_eq!(twice, 0, "every tick runs once");
    });
}

/// With the `postgres` feature: one server on PostgreSQL, then three sharing one database.
#[cfg(feature = "postgres")]
async fn on_postgres(instances: u64, seconds: u64) -> Vec<(&'static str, Figures)> {
    let mut rows = Vec::new();
    for (label, servers) in [("… one server on PostgreSQL", 1), ("… three servers on PostgreSQL", 3)] {
        let database = postgres_database::Database::create(&format!("ticks_{servers}"));
        let (measured, _) = schedule_runs(&database.url(), servers, instances, seconds).await;
        rows.push((label, Figures::of(measured)));
    }
    rows
}

#[cfg(not(feature = "postgres"))]
async fn on_postgres(_: u64, _: u64) -> Vec<(&'static str, Figures)> {
    Vec::new()
}

/// `servers` servers on `store` run the schedule on `instances` instances for `seconds`: how
/// long after its tick each run started, and for how long that was measured.
async fn schedule_runs(store: &str, servers: usize, instances: u64, seconds: u64) -> (Vec<Duration>, Duration) {
    let keys = tempfile::tempdir().expect("a temporary directory");
    let mut started = Vec::new();
    for _ in 0..servers {
        let options = aqueduct::ServerOptions {
            store: store.to_owned(),
            listen: "127.0.0.1:0".parse().expect("an address"),
            key_file: Some(keys.path().join("ticks.key")),
            ..Default::default()
        };
        started.push(aqueduct::Server::start(app::INTEGRATION, options).await.expect("starting aqueduct"));
    }
    for instance in 0..instances {
        started[0].activate(&format!("customer-{instance}"), serde_json::json!({})).await.expect("activating");
    }
    // From the first full second every server knows every instance on.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    LATENESS.lock().unwrap().clear();
    let measuring = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let measured = std::mem::take(&mut *LATENESS.lock().unwrap());
    let elapsed = measuring.elapsed();
    for server in started {
        server.stop().await;
    }
    RUN.lock().unwrap().take();
    (measured, elapsed)
}

/// How long after its tick each of the last `runs` runs was recorded as finished; ticks are
/// on whole seconds, so a run's tick is its creation time rounded down to one.
fn finished_after_tick(store: &std::path::Path, runs: usize) -> Vec<Duration> {
    let database = rusqlite::Connection::open(store).expect("the store");
    let mut query = database
        .prepare("SELECT created_at, finished_at FROM runs WHERE status = 'succeeded' ORDER BY id DESC LIMIT ?1")
        .expect("a query");
    let rows = query.query_map([runs as i64], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))).unwrap();
    rows.map(|row| row.unwrap())
        .map(|(created, finished)| Duration::from_millis((finished - created / 1000 * 1000).max(0) as u64))
        .collect()
}

/// Spawns `instances` tasks at each second boundary for `seconds`: how late each started.
async fn bare_ticks(seconds: u64, instances: u64) -> Vec<Duration> {
    let late = std::sync::Arc::new(Mutex::new(Vec::new()));
    for _ in 0..seconds {
        let now = jiff::Timestamp::now();
        let next = jiff::Timestamp::from_second(now.as_second() + 1).expect("a time");
        tokio::time::sleep(Duration::try_from(now.duration_until(next)).unwrap_or_default()).await;
        for _ in 0..instances {
            let late = late.clone();
            tokio::spawn(async move {
                let after = Duration::try_from(jiff::Timestamp::now().duration_since(next)).unwrap_or_default();
                late.lock().unwrap().push(after);
            });
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    std::mem::take(&mut *late.lock().unwrap())
}

/// Percentiles of some durations, in ms.
struct Figures {
    count: usize,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

impl Figures {
    fn of(mut took: Vec<Duration>) -> Figures {
        took.sort();
        assert!(!took.is_empty(), "nothing was measured");
        let at = |quantile: f64| took[((took.len() - 1) as f64 * quantile).round() as usize].as_secs_f64() * 1e3;
        Figures { count: took.len(), p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1.0) }
    }
}
