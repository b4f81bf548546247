//! A load generator: N keep-alive HTTP/1.1 connections, each sending one request at a time
//! (no pipelining), recording each request's latency.

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What one load run measured after its warm-up.
pub struct Measured {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Latencies in microseconds.
    pub latency: Histogram<u64>,
    /// CPU time the whole process (load, servers, writer threads) spent while measuring.
    pub cpu: Duration,
}

impl Measured {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// Microseconds of CPU per answered request: client and server together, on every thread.
    /// Unlike requests per second, it does not move with what else the machine is doing.
    pub fn cpu_micros_per_request(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.requests.max(1) as f64
    }

    pub fn percentile_ms(&self, percentile: f64) -> f64 {
        self.latency.value_at_quantile(percentile / 100.0) as f64 / 1000.0
    }
}

/// What to send: the same request, again and again.
#[derive(Clone)]
pub struct Target {
    pub address: SocketAddr,
    pub path: &'static str,
    /// Made anew for each connection, so a signature is fresh in every round.
    pub headers: fn() -> Vec<(&'static str, String)>,
    pub body: Bytes,
}

/// POSTs the target's request over `connections` connections: `warmup` unmeasured, then
/// `duration` measured.
pub async fn run(target: &Target, connections: usize, warmup: Duration, duration: Duration) -> Measured {
    let start = Instant::now() + warmup;
    let end = start + duration;
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let target = target.clone();
            tokio::spawn(async move { connection(target, start, end).await })
        })
        .collect();
    let cpu = tokio::spawn(async move {
        tokio::time::sleep_until(start.into()).await;
        let before = process_cpu();
        tokio::time::sleep_until(end.into()).await;
        process_cpu().saturating_sub(before)
    });
    let mut total = Measured { requests: 0, errors: 0, elapsed: duration, latency: histogram(), cpu: Duration::ZERO };
    for task in tasks {
        let one = task.await.expect("a load connection panicked");
        total.requests += one.requests;
        total.errors += one.errors;
        total.latency.add(&one.latency).expect("histograms of one shape");
    }
    total.cpu = cpu.await.expect("the CPU sampler");
    total
}

/// The CPU time this process's threads have run, from the scheduler's own nanosecond counts.
fn process_cpu() -> Duration {
    let threads = std::fs::read_dir("/proc/self/task").expect("Linux's /proc");
    let nanos = threads
        .filter_map(|thread| std::fs::read_to_string(thread.ok()?.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

async fn connection(target: Target, start: Instant, end: Instant) -> Measured {
    let mut measured =
        Measured { requests: 0, errors: 0, elapsed: end - start, latency: histogram(), cpu: Duration::ZERO };
    let stream = tokio::net::TcpStream::connect(target.address).await.expect("connecting to the server");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    let headers = (target.headers)();
    let (mut sender, driver) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("an HTTP/1.1 handshake");
    tokio::spawn(driver);
    loop {
        let sent = Instant::now();
        if sent >= end {
            return measured;
        }
        let mut request =
            hyper::Request::post(target.path).header("host", "bench").header("content-type", "application/json");
        for (name, value) in &headers {
            request = request.header(*name, value);
        }
        let request = request.body(Full::new(target.body.clone())).expect("a valid request");
        if sender.ready().await.is_err() {
            return measured;
        }
        let ok = match sender.send_request(request).await {
            Ok(response) => {
                let success = response.status().is_success();
                success && response.into_body().collect().await.is_ok()
            }
            Err(_) => false,
        };
        if sent >= start {
            if ok {
                measured.requests += 1;
                let micros = sent.elapsed().as_micros().max(1) as u64;
                measured.latency.record(micros.min(60_000_000)).expect("a latency within bounds");
            } else {
                measured.errors += 1;
            }
        }
    }
}
