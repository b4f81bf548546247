//! NATS source benchmark (`cargo bench --bench source`): how many no-op runs a NATS JetStream
//! source completes per second end to end — consume, commit to the inbox, acknowledge, run,
//! record — draining a stream that holds `BENCH_MESSAGES` messages (default 100,000).
//! Three rounds, each with a fresh store and consumer; medians reported. Needs NATS with
//! JetStream on 127.0.0.1:4222 (or `AQUEDUCT_NATS_URL`).

use aqueduct::prelude::*;
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;
const STREAM: &str = "AQUEDUCT_BENCH";

#[derive(Deserialize)]
struct Settings {}

#[derive(Deserialize)]
struct Event {
    #[allow(dead_code)]
    id: u64,
}

/// A no-op flow with a typed payload: what is measured is the runtime around it.
#[flow(nats = "aqueduct_bench.{instance}.events", stream = "AQUEDUCT_BENCH")]
async fn event(_ctx: Ctx<Settings>, Json(_event): Json<Event>) -> Result<()> {
    Ok(())
}

mod app {
    aqueduct::integration! { name: "bench", config: super::Settings, flows: [super::event] }
}

fn main() {
    aqueduct::__private::init_tracing("warn");
    let messages: u64 = std::env::var("BENCH_MESSAGES").ok().and_then(|value| value.parse().ok()).unwrap_or(100_000);
    let url = std::env::var("AQUEDUCT_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let jetstream = async_nats::jetstream::new(async_nats::connect(&url).await.expect("NATS with JetStream"));
        let mut rates = Vec::new();
        for round in 1..=ROUNDS {
            let _ = jetstream.delete_stream(STREAM).await;
            let config = async_nats::jetstream::stream::Config {
                name: STREAM.into(),
                subjects: vec!["aqueduct_bench.*.events".into()],
                ..Default::default()
            };
            jetstream.create_stream(config).await.expect("creating the stream");
            let instance = format!("round{round}");
            publish(&jetstream, &format!("aqueduct_bench.{instance}.events"), messages).await;

            let dir = tempfile::tempdir().expect("a temporary directory");
            let store = dir.path().join("bench.db");
            let options = aqueduct::ServerOptions {
                store: format!("sqlite:{}", store.display()),
                listen: "127.0.0.1:0".parse().expect("an address"),
                ..Default::default()
            };
            let server = aqueduct::Server::start(app::INTEGRATION, options).await.expect("starting aqueduct");
            let started = Instant::now();
            server.activate(&instance, serde_json::json!({})).await.expect("activating");
            let database = rusqlite::Connection::open(&store).expect("opening the store");
            loop {
                let done: i64 = database
                    .query_row("SELECT count(*) FROM runs WHERE status = 'succeeded'", [], |row| row.get(0))
                    .expect("counting runs");
                if done as u64 >= messages {
                    break;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(600),
                    "only {done} of {messages} runs after ten minutes"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let rate = messages as f64 / started.elapsed().as_secs_f64();
            println!(
                "round {round}: {messages} messages drained into succeeded runs in {:.1}s: {rate:.0} runs/s",
                started.elapsed().as_secs_f64()
            );
            rates.push(rate);
            server.stop().await;
        }
        let _ = jetstream.delete_stream(STREAM).await;
        rates.sort_by(f64::total_cmp);
        println!("median: {:.0} runs/s end to end from a NATS source (goal ≥ 10000)", rates[rates.len() / 2]);
    });
}

/// Publishes `count` messages, a thousand acknowledgements in flight at a time.
async fn publish(jetstream: &async_nats::jetstream::Context, subject: &str, count: u64) {
    let mut pending = Vec::with_capacity(1000);
    for id in 0..count {
        let payload = format!("{{\"id\":{id}}}");
        pending.push(jetstream.publish(subject.to_owned(), payload.into()).await.expect("publishing"));
        if pending.len() == 1000 || id + 1 == count {
            for ack in pending.drain(..) {
                ack.await.expect("JetStream stored the message");
            }
        }
    }
}
