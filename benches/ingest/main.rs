//! Ingest benchmark (`cargo bench --bench ingest`).
//!
//! In one run and under one load — 64 keep-alive HTTP/1.1 connections without pipelining,
//! posting the seed's inventory payload — it measures (a) a bare axum handler that parses the
//! payload and answers 202, and (b) aqueduct's durable ingest into a webhook flow with the
//! same typed payload, three times each, alternating; then (c) how many no-op runs aqueduct
//! completes end to end (ingest, run, record) per second over 30 seconds.
//!
//! `BENCH_SECONDS` changes the measurements (default 10 for a and b, 30 for c);
//! `BENCH_ONLY=ingest` or `BENCH_ONLY=end_to_end` runs one part, for profiling.

mod load;
mod targets;

use bytes::Bytes;
use std::time::Duration;

const CONNECTIONS: usize = 64;
const ROUNDS: usize = 3;
const WARMUP: Duration = Duration::from_secs(2);

fn main() {
    aqueduct::__private::init_tracing("warn");
    let seconds: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|value| value.parse().ok()).unwrap_or(10);
    let measure = Duration::from_secs(seconds);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let baseline = targets::bare_axum().await;
        let server = targets::aqueduct(dir.path()).await;
        let body = Bytes::from_static(targets::PAYLOAD.as_bytes());
        if std::env::var("BENCH_ONLY").is_ok_and(|only| only == "ingest") {
            let b =
                load::run(server.address(), "/hooks/acme/inventory", body.clone(), CONNECTIONS, WARMUP, measure).await;
            report("aqueduct durable", &b);
            return;
        }
        if std::env::var("BENCH_ONLY").is_ok_and(|only| only == "end_to_end") {
            end_to_end(&server, dir.path(), body, measure).await;
            return;
        }
        let mut bare = Vec::new();
        let mut durable = Vec::new();
        println!("{CONNECTIONS} connections, {}s warm-up, {seconds}s measured per round\n", WARMUP.as_secs());
        println!("{:<24} {:>10} {:>9} {:>9} {:>7}", "round", "req/s", "p50 ms", "p99 ms", "errors");
        for round in 1..=ROUNDS {
            // Runs left from the last round would take CPU from the next measurement.
            drain_backlog(dir.path()).await;
            let a = load::run(baseline, "/hooks/acme/inventory", body.clone(), CONNECTIONS, WARMUP, measure).await;
            report(&format!("{round}a bare axum"), &a);
            let b =
                load::run(server.address(), "/hooks/acme/inventory", body.clone(), CONNECTIONS, WARMUP, measure).await;
            report(&format!("{round}b aqueduct durable"), &b);
            bare.push(a);
            durable.push(b);
        }
        let (a_rps, b_rps) = (
            median(bare.iter().map(load::Measured::per_second)),
            median(durable.iter().map(load::Measured::per_second)),
        );
        let (a_p99, b_p99) =
            (median(bare.iter().map(|m| m.percentile_ms(99.0))), median(durable.iter().map(|m| m.percentile_ms(99.0))));
        println!(
            "\nmedians: bare axum {a_rps:.0} req/s (p99 {a_p99:.2} ms), aqueduct {b_rps:.0} req/s (p99 {b_p99:.2} ms)"
        );
        println!(
            "ratio aqueduct / bare axum: {:.2} (goal ≥ 0.60); aqueduct p99 {b_p99:.2} ms (goal ≤ 5 ms)",
            b_rps / a_rps
        );

        let engine_seconds = if seconds == 10 { 30 } else { seconds };
        drain_backlog(dir.path()).await;
        end_to_end(&server, dir.path(), body, Duration::from_secs(engine_seconds)).await;
        server.stop().await;
    });
}

/// (c): runs completed per second while the load goes on, read from the store.
async fn end_to_end(
    server: &aqueduct::Server<targets::Settings>,
    dir: &std::path::Path,
    body: Bytes,
    window: Duration,
) {
    let database = rusqlite::Connection::open(dir.join("bench.db")).expect("opening the store");
    let succeeded = || -> i64 {
        database
            .query_row("SELECT count(*) FROM runs WHERE status = 'succeeded'", [], |row| row.get(0))
            .expect("counting runs")
    };
    let load = tokio::spawn(load::run(
        server.address(),
        "/hooks/acme/inventory",
        body,
        CONNECTIONS,
        Duration::ZERO,
        window + WARMUP,
    ));
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
        "{label:<24} {:>10.0} {:>9.2} {:>9.2} {:>7}",
        measured.per_second(),
        measured.percentile_ms(50.0),
        measured.percentile_ms(99.0),
        measured.errors
    );
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
