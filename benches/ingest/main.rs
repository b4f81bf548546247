//! Ingest benchmark (`cargo bench --bench ingest`).
//!
//! In one run and under one load — 64 keep-alive HTTP/1.1 connections without pipelining,
//! posting the seed's inventory payload — it measures (a) a bare axum handler that parses the
//! payload and answers 202, (b) an axum handler that commits each request to SQLite before
//! answering (`insert_only.rs`: the least durable ingest can do), and (c) aqueduct's durable,
//! Standard Webhooks-verified ingest into a webhook flow with the same typed payload, its runs
//! executing meanwhile; five times each, in turn; then (d) how many no-op runs aqueduct
//! completes end to end (ingest, run, record) per second over 30 seconds, and the bytes each
//! run takes in the store.
//!
//! It then compares, the same way, durable ingest with and without Standard Webhooks signature
//! verification.
//!
//! `BENCH_SECONDS` changes the measurements (default 10, and 30 for the end-to-end part);
//! `BENCH_ONLY=ingest`, `verified` or `end_to_end` runs one part.

mod insert_only;
mod load;
mod targets;

use load::Target;

use bytes::Bytes;
use std::time::Duration;

const CONNECTIONS: usize = 64;
const ROUNDS: usize = 5;
const WARMUP: Duration = Duration::from_secs(2);

fn main() {
    aqueduct::__private::init_tracing("warn");
    let seconds: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|value| value.parse().ok()).unwrap_or(10);
    let measure = Duration::from_secs(seconds);
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let body = Bytes::from_static(targets::PAYLOAD.as_bytes());
        let server = targets::aqueduct(dir.path()).await;
        let target = |address, path| Target { address, path, headers: Vec::new, body: body.clone() };
        let bare = target(targets::bare_axum().await, "/hooks/acme/inventory");
        let insert_only = target(insert_only::insert_only(dir.path()).await, "/hooks/acme/inventory");
        let durable = target(server.address(), "/hooks/acme/inventory");
        // The same signed request to both endpoints, so only the check differs, not what is stored.
        let signed = |path| Target { headers: targets::signed_headers, ..target(server.address(), path) };
        let (unverified, verified) = (signed("/hooks/acme/inventory"), signed("/hooks/acme/verified"));
        println!("{CONNECTIONS} connections, {}s warm-up, {seconds}s measured per round\n", WARMUP.as_secs());
        if only.is_empty() || only == "ingest" {
            let targets = [("bare axum", &bare), ("insert-only axum", &insert_only), ("aqueduct verified", &verified)];
            let [bare, insert, aqueduct] = compare(dir.path(), targets, measure).await;
            println!(
                "ratio aqueduct / bare axum: {:.2} (goal ≥ 0.60); aqueduct / insert-only: {:.2} (goal ≥ 0.85); aqueduct p99 {:.2} ms (goal ≤ 5 ms)",
                aqueduct.0 / bare.0,
                aqueduct.0 / insert.0,
                aqueduct.1
            );
            println!(
                "CPU per request: aqueduct {:.1} µs, {:.1} µs more than bare axum, {:.1} µs more than insert-only",
                aqueduct.2,
                aqueduct.2 - bare.2,
                aqueduct.2 - insert.2
            );
        }
        if only.is_empty() || only == "verified" {
            let [a, b] =
                compare(dir.path(), [("unverified", &unverified), ("standard_webhooks", &verified)], measure).await;
            println!("ratio verified / unverified durable ingest: {:.2} (goal ≥ 0.90)", b.0 / a.0);
        }
        if only.is_empty() || only == "end_to_end" {
            let window = if only.is_empty() && seconds == 10 { Duration::from_secs(30) } else { measure };
            drain_backlog(dir.path()).await;
            end_to_end(dir.path(), &durable, window).await;
        }
        server.stop().await;
    });
}

/// Measures each target in turn, [`ROUNDS`] times under the same load; returns each one's
/// median requests per second, p99 latency (ms) and CPU per request (µs).
async fn compare<const N: usize>(
    dir: &std::path::Path,
    targets: [(&str, &Target); N],
    measure: Duration,
) -> [(f64, f64, f64); N] {
    println!("{:<28} {:>10} {:>9} {:>9} {:>11} {:>7}", "round", "req/s", "p50 ms", "p99 ms", "cpu µs/req", "errors");
    let mut measured: [Vec<load::Measured>; N] = std::array::from_fn(|_| Vec::new());
    for round in 1..=ROUNDS {
        // Each round starts with the next target: the store grows as rounds go on, which would
        // otherwise always favour the first.
        for turn in 0..N {
            let index = (round + turn) % N;
            let (label, target) = targets[index];
            // Runs left from the last round would take CPU from the next measurement.
            drain_backlog(dir).await;
            let result = load::run(target, CONNECTIONS, WARMUP, measure).await;
            report(&format!("{round} {label}"), &result);
            measured[index].push(result);
        }
    }
    let medians: [(f64, f64, f64); N] = std::array::from_fn(|index| {
        let runs = &measured[index];
        (
            median(runs.iter().map(load::Measured::per_second)),
            median(runs.iter().map(|m| m.percentile_ms(99.0))),
            median(runs.iter().map(load::Measured::cpu_micros_per_request)),
        )
    });
    let line: Vec<String> = targets
        .iter()
        .zip(&medians)
        .map(|((label, _), (rate, p99, cpu))| format!("{label} {rate:.0} req/s (p99 {p99:.2} ms, {cpu:.1} µs CPU)"))
        .collect();
    println!("medians: {}", line.join(", "));
    medians
}

/// (d): runs completed per second while the load goes on, read from the store, and the store's
/// bytes per run.
async fn end_to_end(dir: &std::path::Path, target: &Target, window: Duration) {
    let database = rusqlite::Connection::open(dir.join("bench.db")).expect("opening the store");
    let succeeded = || -> i64 {
        database
            .query_row("SELECT count(*) FROM runs WHERE status = 'succeeded'", [], |row| row.get(0))
            .expect("counting runs")
    };
    let target = target.clone();
    let load = tokio::spawn(async move { load::run(&target, CONNECTIONS, Duration::ZERO, window + WARMUP).await });
    tokio::time::sleep(WARMUP).await;
    let before = succeeded();
    let started = std::time::Instant::now();
    tokio::time::sleep(window).await;
    let completed = succeeded() - before;
    let elapsed = started.elapsed();
    let ingested = load.await.expect("the load task");
    let backlog: i64 = database
        .query_row("SELECT count(*) FROM runs WHERE status IN ('queued', 'running')", [], |row| row.get(0))
        .expect("counting open runs");
    println!(
        "\nend to end over {:.0}s: {:.0} runs completed per second (goal ≥ 20000), {:.0} deliveries accepted per second, {backlog} runs open at the end",
        elapsed.as_secs_f64(),
        completed as f64 / elapsed.as_secs_f64(),
        ingested.per_second()
    );
    let (runs, pages, page_size): (i64, i64, i64) = database
        .query_row(
            "SELECT (SELECT count(*) FROM runs), (SELECT page_count - freelist_count FROM pragma_page_count, pragma_freelist_count), (SELECT page_size FROM pragma_page_size)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .expect("measuring the store");
    println!(
        "store: {runs} runs in {} bytes of pages in use: {:.0} bytes per run",
        pages * page_size,
        (pages * page_size) as f64 / runs.max(1) as f64
    );
}

/// Waits until aqueduct has finished every run accepted so far.
async fn drain_backlog(dir: &std::path::Path) {
    let database = rusqlite::Connection::open(dir.join("bench.db")).expect("opening the store");
    for _ in 0..1200 {
        let open: i64 = database
            .query_row("SELECT count(*) FROM runs WHERE status IN ('queued', 'running', 'failed')", [], |row| {
                row.get(0)
            })
            .expect("counting open runs");
        if open == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("aqueduct did not finish its backlog within two minutes");
}

fn report(label: &str, measured: &load::Measured) {
    println!(
        "{label:<24} {:>10.0} {:>9.2} {:>9.2} {:>11.1} {:>7}",
        measured.per_second(),
        measured.percentile_ms(50.0),
        measured.percentile_ms(99.0),
        measured.cpu_micros_per_request(),
        measured.errors
    );
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
