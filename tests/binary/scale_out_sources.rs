//! Servers sharing one PostgreSQL store, consuming one NATS JetStream source: each message
//! runs exactly once, whichever server pulled it and whichever ran it.
//!
//! Every server opens the same durable pull consumer (the source names it after the
//! integration, the flow and the instance), so JetStream hands each message to one of them; a
//! message delivered again (its acknowledgement late or lost) finds its message id already
//! taken in the shared store. The test publishes to a subject of an instance of its own, so
//! other tests, and earlier runs of this one, do not feed its consumer.
//!
//! It needs PostgreSQL (as `scale_out.rs` finds it) and NATS with JetStream at
//! `AQUEDUCT_NATS_URL` (default `nats://127.0.0.1:4222`, where the servers look too). Without
//! either, it says so and passes, unless `AQUEDUCT_REQUIRE_SERVICES=1`.

use crate::scale_out::{Database, SharedStore, activate, assert_no_error_logged, block_on, pids};
use crate::support::{PATIENCE, Server};
use async_nats::jetstream;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::time::{Duration, Instant};

const MESSAGES: u64 = 300;
/// The source flow of the example `scale_out_sources`, and its stream.
const FLOW: &str = "from_nats";
const STREAM: &str = "AQUEDUCT_SCALE_OUT";
/// How long the servers have to consume and run every message: a few seconds on an idle
/// machine, the rest is slack for a busy one.
const DRAINED: Duration = Duration::from_secs(90);
/// How often a message is published before the test gives up on NATS taking it.
const PUBLISH_ATTEMPTS: usize = 50;

#[test]
fn three_servers_consuming_one_nats_subject_run_each_message_once() {
    let Some(nats_url) = reachable_nats() else { return };
    let Some(store) = SharedStore::create() else { return };
    let binary = store.binary("scale_out_sources");
    // Before the servers: they are dropped (killed) first, then the consumer is deleted.
    let source = TestSource::fresh(nats_url);
    activate(&binary, &[&source.instance]);
    let mut nodes = binary.serve_nodes(3, &["serve"]);
    // Publishing before every server pulls would leave the first one all the messages.
    nodes.iter().for_each(|node| node.wait_for_log(&[FLOW, "subscribed"], 1, PATIENCE));

    let started = Instant::now();
    block_on(source.publish(0..MESSAGES));
    let redelivered = block_on(source.drained(started + DRAINED));
    let runs = finished_runs(&store.database, started + DRAINED);
    println!("{MESSAGES} messages ran in {:?}; JetStream delivered {redelivered} again", started.elapsed());

    assert_each_message_ran_once(&runs);
    let ran_by = runs_per_process(&runs);
    println!("runs per server process: {ran_by:?}");
    let runners: BTreeSet<u32> = ran_by.keys().copied().collect();
    assert!(runners.is_subset(&pids(&nodes)), "runs by a process that is not one of the servers: {ran_by:?}");
    assert!(runners.len() > 1, "one server ran every message: {ran_by:?}");
    assert!(nodes.iter_mut().all(Server::is_running), "a server stopped");
    nodes.iter().for_each(assert_no_error_logged);
}

/// The URL of NATS, if it answers; `None` (having said why) when it does not and services are
/// not required.
fn reachable_nats() -> Option<String> {
    let url = std::env::var("AQUEDUCT_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned());
    let Err(why) = block_on(async_nats::connect(&url)) else { return Some(url) };
    let required = std::env::var("AQUEDUCT_REQUIRE_SERVICES").is_ok_and(|value| value == "1");
    assert!(!required, "NATS at {url} is required (AQUEDUCT_REQUIRE_SERVICES=1): {why}");
    eprintln!("skipped: NATS at {url} cannot be reached: {why}");
    None
}

// ---- the source, at NATS ----

/// The test's instance and what NATS holds for it: its subject, and the durable consumer the
/// servers share. Dropped, the consumer is deleted and the subject's messages purged, so the
/// shared NATS does not keep them from run to run.
struct TestSource {
    url: String,
    instance: String,
    subject: String,
    consumer: String,
}

impl TestSource {
    /// An instance of a name no other test and no earlier run used.
    fn fresh(url: String) -> TestSource {
        let instance = format!("sources-{}-{}", std::process::id(), jiff::Timestamp::now().as_millisecond());
        TestSource {
            url,
            subject: format!("aqueduct_scale.{instance}.messages"),
            // As the source names it: `aqueduct-{integration}-{flow}-{instance}`.
            consumer: format!("aqueduct-scale-out-sources-{FLOW}-{instance}"),
            instance,
        }
    }

    async fn jetstream(&self) -> jetstream::Context {
        jetstream::new(async_nats::connect(&self.url).await.expect("connecting to NATS"))
    }

    /// Publishes `{"id": N}` for each of `ids`, one after the other, each until JetStream
    /// stored it.
    async fn publish(&self, ids: Range<u64>) {
        let jetstream = self.jetstream().await;
        for id in ids {
            self.publish_one(&jetstream, id).await;
        }
    }

    async fn publish_one(&self, jetstream: &jetstream::Context, id: u64) {
        let payload = serde_json::json!({ "id": id }).to_string();
        for _ in 0..PUBLISH_ATTEMPTS {
            // Its `Nats-Msg-Id` makes JetStream store a publish that is tried again once.
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", format!("{}-{id}", self.subject).as_str());
            let sent = jetstream.publish_with_headers(self.subject.clone(), headers, payload.clone().into()).await;
            if let Ok(ack) = sent
                && ack.await.is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("JetStream did not take message {id} in {PUBLISH_ATTEMPTS} attempts");
    }

    /// Waits until the consumer has every message delivered and acknowledged (so each is
    /// committed as a run, and none can come again); how many deliveries were repeats.
    async fn drained(&self, deadline: Instant) -> usize {
        let stream = self.jetstream().await.get_stream(STREAM).await.expect("the source's stream");
        loop {
            let info = stream.consumer_info(&self.consumer).await.expect("the servers' consumer");
            if info.num_pending == 0 && info.num_ack_pending == 0 {
                return info.num_redelivered;
            }
            assert!(
                Instant::now() < deadline,
                "the consumer still has {} messages undelivered and {} unacknowledged",
                info.num_pending,
                info.num_ack_pending
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn forget(&self) -> Result<(), String> {
        let stream = self.jetstream().await.get_stream(STREAM).await.map_err(|error| error.to_string())?;
        stream.delete_consumer(&self.consumer).await.map_err(|error| error.to_string())?;
        stream.purge().filter(self.subject.as_str()).await.map_err(|error| error.to_string())?;
        Ok(())
    }
}

impl Drop for TestSource {
    fn drop(&mut self) {
        let forgotten = block_on(async { tokio::time::timeout(Duration::from_secs(10), self.forget()).await });
        match forgotten {
            Ok(Ok(())) => {}
            Ok(Err(why)) => eprintln!("the consumer {} was not deleted: {why}", self.consumer),
            Err(_) => eprintln!("the consumer {} was not deleted within 10 s", self.consumer),
        }
    }
}

// ---- the runs, as stored ----

/// A run of the source flow: the message it was for (read from its stored payload, so a run
/// that did not succeed names it too), and the process that ran it (from its output).
#[derive(Debug)]
struct MessageRun {
    id: u64,
    message: Option<u64>,
    status: String,
    attempts: u32,
    pid: Option<u32>,
}

fn message_runs(database: &Database) -> Vec<MessageRun> {
    let rows = database.rows(&format!(
        "SELECT runs.id, convert_from(payloads.body, 'UTF8')::json->>'id', status, attempts, output::json->>'pid' \
         FROM runs LEFT JOIN payloads ON payloads.run_id = runs.id WHERE flow = '{FLOW}' ORDER BY runs.id"
    ));
    rows.into_iter()
        .map(|row| MessageRun {
            id: row[0].parse().expect("a run id"),
            message: row[1].parse().ok(),
            status: row[2].clone(),
            attempts: row[3].parse().expect("a count of attempts"),
            pid: row[4].parse().ok(),
        })
        .collect()
}

/// Waits until at least [`MESSAGES`] runs have succeeded and none is unfinished (queued,
/// running, or failed and waiting to be tried again); the runs.
fn finished_runs(database: &Database, deadline: Instant) -> Vec<MessageRun> {
    loop {
        let runs = message_runs(database);
        let succeeded = runs.iter().filter(|run| run.status == "succeeded").count();
        let unfinished: Vec<&MessageRun> =
            runs.iter().filter(|run| run.status != "succeeded" && run.status != "dead").collect();
        if succeeded >= MESSAGES as usize && unfinished.is_empty() {
            return runs;
        }
        assert!(
            Instant::now() < deadline,
            "{succeeded} of {MESSAGES} runs succeeded; unfinished, the first of them: {:?}",
            &unfinished[..unfinished.len().min(10)]
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Fails unless each message `0..MESSAGES` has one run, which succeeded at its first attempt,
/// and there is no other run.
fn assert_each_message_ran_once(runs: &[MessageRun]) {
    let mut by_message: BTreeMap<u64, Vec<&MessageRun>> = BTreeMap::new();
    for run in runs {
        let message = run.message.unwrap_or_else(|| panic!("a run without its message: {run:?}"));
        by_message.entry(message).or_default().push(run);
    }
    let repeated: Vec<(u64, Vec<u64>)> = by_message
        .iter()
        .filter(|(_, runs)| runs.len() > 1)
        .map(|(message, runs)| (*message, runs.iter().map(|run| run.id).collect()))
        .collect();
    assert!(repeated.is_empty(), "messages that ran more than once, with their runs: {repeated:?}");
    let missing: Vec<u64> = (0..MESSAGES).filter(|message| !by_message.contains_key(message)).collect();
    assert!(missing.is_empty(), "messages that did not run: {missing:?}");
    assert_eq!(by_message.len(), MESSAGES as usize, "runs of messages the test did not publish: {by_message:?}");
    // A run two servers claimed at once would have been attempted twice.
    let not_once: Vec<_> = runs.iter().filter(|run| run.status != "succeeded" || run.attempts != 1).collect();
    assert!(not_once.is_empty(), "runs that did not succeed at their first attempt: {not_once:?}");
}

/// How many of `runs` each process ran.
fn runs_per_process(runs: &[MessageRun]) -> BTreeMap<u32, usize> {
    let mut counts = BTreeMap::new();
    for pid in runs.iter().filter_map(|run| run.pid) {
        *counts.entry(pid).or_default() += 1;
    }
    counts
}
