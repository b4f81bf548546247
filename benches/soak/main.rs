//! Soak (`cargo bench --bench soak`): ten minutes of mixed traffic against one server — Standard
//! Webhooks-verified deliveries to 100 instances from 8 connections, 1 % of them failing once
//! and retried, and a schedule firing every second for each instance — with retention at one
//! minute. Every 10 s it samples the store's size on disk, the process's RSS and the p99 of
//! the deliveries answered since the last sample, and writes them to `target/soak/soak.csv`
//! and `target/soak/soak.png`.
//!
//! `SOAK_SECONDS=30` runs the short version (retention five seconds, a sample a second), which
//! CI runs and which fails unless the file size and RSS stop growing.

mod integration;
mod load;
mod plot;

use std::time::Duration;

const INSTANCES: usize = 100;

/// One sample.
pub struct Sample {
    pub seconds: f64,
    pub store_bytes: u64,
    pub rss_bytes: u64,
    pub p99_ms: f64,
    pub deliveries: u64,
}

fn main() {
    // The failing 1 % log a warning each; errors only keep the output to the samples.
    aqueduct::__private::init_tracing("error");
    let seconds: u64 = std::env::var("SOAK_SECONDS").ok().and_then(|value| value.parse().ok()).unwrap_or(600);
    let short = seconds < 120;
    let sample_every = Duration::from_secs(if short { 1 } else { 10 });
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let samples = runtime.block_on(soak(Duration::from_secs(seconds), sample_every, short));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/soak");
    std::fs::create_dir_all(&dir).expect("creating target/soak");
    let mut csv = String::from("seconds,store_bytes,rss_bytes,p99_ms,deliveries\n");
    for sample in &samples {
        csv.push_str(&format!(
            "{:.0},{},{},{:.2},{}\n",
            sample.seconds, sample.store_bytes, sample.rss_bytes, sample.p99_ms, sample.deliveries
        ));
    }
    std::fs::write(dir.join("soak.csv"), &csv).expect("writing the CSV");
    print!("{csv}");
    match plot::draw(&samples, &dir.join("soak.png")) {
        Ok(()) => println!("plot: {}", dir.join("soak.png").display()),
        Err(error) => println!("no plot: {error}"),
    }
    assert_flat(&samples);
}

async fn soak(duration: Duration, sample_every: Duration, short: bool) -> Vec<Sample> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database = dir.path().join("soak.db");
    let options = aqueduct::ServerOptions {
        store: format!("sqlite:{}", database.display()),
        listen: "127.0.0.1:0".parse().expect("an address"),
        ..Default::default()
    };
    let integration = if short { integration::brief::INTEGRATION } else { integration::minute::INTEGRATION };
    let server = aqueduct::Server::start(integration, options).await.expect("starting aqueduct");
    let instances: Vec<String> = (0..INSTANCES).map(|n| format!("customer-{n}")).collect();
    for instance in &instances {
        server
            .activate(instance, serde_json::json!({ "signing_secret": integration::SECRET }))
            .await
            .expect("activating an instance");
    }
    let load = load::Load::start(server.address(), instances, 8);
    let started = std::time::Instant::now();
    let mut samples = Vec::new();
    while started.elapsed() < duration {
        tokio::time::sleep(sample_every).await;
        let (p99_ms, deliveries) = load.take_window();
        samples.push(Sample {
            seconds: started.elapsed().as_secs_f64(),
            store_bytes: size(&database) + size(&database.with_extension("db-wal")),
            rss_bytes: rss(),
            p99_ms,
            deliveries,
        });
    }
    load.stop().await;
    server.stop().await;
    samples
}

fn size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|metadata| metadata.len()).unwrap_or(0)
}

/// The resident set of this process (the server, its load and its workers), from /proc.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0);
    kib * 1024
}

/// Once retention is reached (the first third), the last third grows neither the store nor RSS
/// by more than a tenth (and a few MiB of allocator slack) over the middle third.
fn assert_flat(samples: &[Sample]) {
    let third = samples.len() / 3;
    assert!(third >= 3, "too few samples ({}) to tell a trend", samples.len());
    let (middle, last) = (&samples[third..2 * third], &samples[2 * third..]);
    let most = |part: &[Sample], of: fn(&Sample) -> u64| part.iter().map(of).max().unwrap_or(0);
    for (what, of) in [("store size", (|s: &Sample| s.store_bytes) as fn(&Sample) -> u64), ("RSS", |s| s.rss_bytes)] {
        let (before, after) = (most(middle, of), most(last, of));
        let allowed = before + before / 10 + 8 * 1024 * 1024;
        println!("{what}: at most {before} bytes in the middle third, {after} in the last");
        assert!(after <= allowed, "the {what} kept growing: {before} bytes, then {after}");
    }
    assert!(samples.iter().all(|sample| sample.deliveries > 0), "deliveries stopped being answered");
}
