//! How soon a source recovers: the messages a killed server had received but not committed run
//! within [`AFTER_A_CRASH`] of its restart, and a source resumes within [`AFTER_AN_OUTAGE`] of
//! its broker coming back. Each test prints what it measured.

use crate::brokers::{PrivateNats, Proxy, available, fresh_instance, installed};
use crate::sources::{ONE_BROKER_TEST_AT_A_TIME, message, runs_by_id};
use crate::support::{Binary, Server, eventually};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// The goal for a crashed server's unacknowledged messages, from its restart.
const AFTER_A_CRASH: Duration = Duration::from_secs(5);
/// The goal for a source, from its broker listening again.
const AFTER_AN_OUTAGE: Duration = Duration::from_secs(2);
/// Messages waiting when the server starts: enough that it is killed mid-stream. Only the
/// NATS test tells the messages the server had received from the rest, so the AMQP test's
/// backlog is small enough to run whole within the goal.
const NATS_BACKLOG: u64 = 3000;
const AMQP_BACKLOG: u64 = 1000;
/// How long a broker stays away: long enough for a reconnection backoff to grow.
const OUTAGE: Duration = Duration::from_secs(6);
/// Bounds every other wait.
const PATIENCE: Duration = Duration::from_secs(20);

/// Polls until each of `ids` has a succeeded run of `flow`, and returns how long since `since`.
fn succeeded(binary: &Binary, flow: &str, ids: &BTreeSet<u64>, since: Instant) -> Duration {
    eventually(PATIENCE, &format!("a succeeded run of {flow} for each of {} messages", ids.len()), || {
        let runs = runs_by_id(binary, flow);
        ids.iter()
            .all(|id| runs.get(id).is_some_and(|statuses| statuses.iter().any(|status| status == "succeeded")))
            .then(|| since.elapsed())
    })
}

/// Starts the server on a store with `instance` active, and kills it (SIGKILL) as soon as it
/// has stored its first runs of `flow`, mid-stream; returns the ids it had stored, succeeded or
/// not, at that moment.
fn serve_and_kill_mid_stream(binary: &Binary, flow: &str) -> (BTreeSet<u64>, BTreeSet<u64>) {
    let mut server = binary.serve(&["serve"]);
    let deadline = Instant::now() + PATIENCE;
    while runs_by_id(binary, flow).is_empty() {
        assert!(Instant::now() < deadline, "the server stored no run of {flow}");
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill();
    let runs = runs_by_id(binary, flow);
    let succeeded = runs.iter().filter(|(_, statuses)| statuses == &&["succeeded"]).map(|(id, _)| *id).collect();
    (runs.into_keys().collect(), succeeded)
}

/// After the restart, every message ran exactly once and succeeded.
fn each_ran_once(binary: &Binary, flow: &str, backlog: u64) {
    let all: BTreeSet<u64> = (0..backlog).collect();
    succeeded(binary, flow, &all, Instant::now());
    let runs = runs_by_id(binary, flow);
    for id in 0..backlog {
        assert_eq!(runs[&id], ["succeeded"], "message {id}");
    }
    assert_eq!(runs.len() as u64, backlog, "runs of messages never published");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_messages_a_killed_server_had_not_committed_run_soon_after_its_restart() {
    use async_nats::jetstream::consumer::{AckPolicy, pull};
    use async_nats::jetstream::stream;
    if !available("NATS", 4222) {
        return;
    }
    // The other source tests restart the shared brokers.
    let _alone = ONE_BROKER_TEST_AT_A_TIME.lock().await;
    let instance = fresh_instance("nats-kill");
    let binary = Binary::example("brokers");
    assert!(binary.activate(&instance, "", "http://127.0.0.1:9").status.success());
    let jetstream = async_nats::jetstream::new(async_nats::connect("127.0.0.1:4222").await.unwrap());
    // The stream as the source makes it, so the backlog is there before the server starts.
    let config = stream::Config {
        name: "AQUEDUCT_TEST".into(),
        subjects: vec!["aqueduct_test.*.orders".into()],
        ..Default::default()
    };
    let stream = jetstream.get_or_create_stream(config).await.unwrap();
    let subject = format!("aqueduct_test.{instance}.orders");
    // The consumer as an earlier version made it, with a 30 s ack wait: the server updates it.
    let consumer = format!("aqueduct-brokers-from_nats-{instance}");
    let earlier = pull::Config {
        durable_name: Some(consumer.clone()),
        filter_subject: subject.clone(),
        ack_policy: AckPolicy::Explicit,
        ack_wait: Duration::from_secs(30),
        max_ack_pending: 1024,
        ..Default::default()
    };
    stream.create_consumer(earlier).await.unwrap();
    let sequences: Vec<u64> = futures::future::join_all((0..NATS_BACKLOG).map(|id| {
        let (jetstream, subject) = (jetstream.clone(), subject.clone());
        async move { jetstream.publish(subject, message(id, false).into()).await.unwrap().await.unwrap().sequence }
    }))
    .await;

    let (stored, done) = tokio::task::block_in_place(|| serve_and_kill_mid_stream(&binary, "from_nats"));
    // What the server had received, by the consumer's account once its last acks are in.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let info = stream.consumer_info(&consumer).await.unwrap();
    assert_eq!(info.config.ack_wait, Duration::from_secs(3), "the consumer was not updated");
    let received = info.ack_floor.stream_sequence + 1..=info.delivered.stream_sequence;
    let uncommitted: BTreeSet<u64> =
        (0..NATS_BACKLOG).filter(|id| received.contains(&sequences[*id as usize]) && !stored.contains(id)).collect();
    assert!(
        info.num_ack_pending > 0 && !uncommitted.is_empty(),
        "the server was killed with no message received and uncommitted ({} stored, {} pending)",
        stored.len(),
        info.num_ack_pending
    );
    // Those, and the runs committed but not finished (the restarted server takes them back).
    let pending: BTreeSet<u64> = uncommitted.iter().copied().chain(stored.difference(&done).copied()).collect();

    let restarted = Instant::now();
    let _server: Server = tokio::task::block_in_place(|| binary.serve(&["serve"]));
    let took = tokio::task::block_in_place(|| succeeded(&binary, "from_nats", &pending, restarted));
    eprintln!(
        "NATS: {} received but uncommitted and {} unfinished at the kill ran {took:?} after the restart",
        uncommitted.len(),
        pending.len() - uncommitted.len()
    );
    assert!(took < AFTER_A_CRASH, "they ran {took:?} after the restart");
    tokio::task::block_in_place(|| each_ran_once(&binary, "from_nats", NATS_BACKLOG));
}

/// A channel to the shared RabbitMQ with `queue` declared (durable) and publisher confirms.
async fn amqp_channel(url: &str, queue: &str) -> (lapin::Connection, lapin::Channel) {
    use lapin::options::{ConfirmSelectOptions, QueueDeclareOptions};
    let connection = lapin::Connection::connect(url, lapin::ConnectionProperties::default()).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    channel.confirm_select(ConfirmSelectOptions::default()).await.unwrap();
    let durable = QueueDeclareOptions { durable: true, ..Default::default() };
    channel.queue_declare(queue.into(), durable, lapin::types::FieldTable::default()).await.unwrap();
    (connection, channel)
}

/// Publishes persistently with the message's id; panics unless the broker confirms it.
async fn publish_amqp(channel: &lapin::Channel, queue: &str, id: u64) {
    let properties = lapin::BasicProperties::default().with_delivery_mode(2).with_message_id(id.to_string().into());
    let confirmation = channel
        .basic_publish("".into(), queue.into(), Default::default(), &message(id, false), properties)
        .await
        .unwrap();
    assert!(confirmation.await.unwrap().is_ack(), "RabbitMQ did not confirm message {id}");
}

const RABBITMQ: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amqp_messages_a_killed_server_had_not_committed_run_soon_after_its_restart() {
    if !available("RabbitMQ", 5672) {
        return;
    }
    let _alone = ONE_BROKER_TEST_AT_A_TIME.lock().await;
    let instance = fresh_instance("amqp-kill");
    let binary = Binary::example("brokers");
    assert!(binary.activate(&instance, "", "http://127.0.0.1:9").status.success());
    let queue = format!("aqueduct-test-{instance}");
    let (_connection, channel) = amqp_channel(RABBITMQ, &queue).await;
    futures::future::join_all((0..AMQP_BACKLOG).map(|id| publish_amqp(&channel, &queue, id))).await;

    let (stored, done) = tokio::task::block_in_place(|| serve_and_kill_mid_stream(&binary, "from_amqp"));
    // RabbitMQ puts a closed connection's unacknowledged messages back at the head of the queue;
    // all that the killed server had not finished is pending, received or not.
    let pending: BTreeSet<u64> = (0..AMQP_BACKLOG).filter(|id| !done.contains(id)).collect();
    assert!(!pending.is_empty(), "the server finished every message before it was killed");

    let restarted = Instant::now();
    let _server: Server = tokio::task::block_in_place(|| binary.serve(&["serve"]));
    let took = tokio::task::block_in_place(|| succeeded(&binary, "from_amqp", &pending, restarted));
    eprintln!(
        "AMQP: {} messages not stored and {} unfinished at the kill ran {took:?} after the restart",
        AMQP_BACKLOG - stored.len() as u64,
        stored.len() - done.len()
    );
    assert!(took < AFTER_A_CRASH, "they ran {took:?} after the restart");
    tokio::task::block_in_place(|| each_ran_once(&binary, "from_amqp", AMQP_BACKLOG));
}

/// Waits until `id` has a run of `flow`, and returns how long since `since`.
fn ran(binary: &Binary, flow: &str, id: u64, since: Instant) -> Duration {
    succeeded(binary, flow, &BTreeSet::from([id]), since)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_source_resumes_soon_after_its_server_comes_back() {
    if !installed(PrivateNats::BINARY) {
        return;
    }
    // The shared server's restarts (`pkill -x nats-server`) would stop this one's too.
    let _alone = ONE_BROKER_TEST_AT_A_TIME.lock().await;
    // A server of its own: restarting the shared one would disturb the tests running alongside.
    let mut nats = tokio::task::block_in_place(PrivateNats::start);
    let instance = fresh_instance("nats-outage");
    let binary = Binary::example("brokers");
    let config = format!("nats_url = \"{}\"", nats.url());
    assert!(binary.activate(&instance, &config, "http://127.0.0.1:9").status.success());
    let _server = tokio::task::block_in_place(|| binary.serve(&["serve"]));
    let (url, subject) = (nats.url(), format!("aqueduct_test.{instance}.orders"));
    // Publishes once JetStream takes it (the source creates the stream; a restarted server
    // needs a moment); bounded in attempts.
    let publish = |id: u64| {
        let (url, subject) = (url.clone(), subject.clone());
        async move {
            for _ in 0..200 {
                if let Ok(client) = async_nats::connect(&url).await
                    && let Ok(ack) =
                        async_nats::jetstream::new(client).publish(subject.clone(), message(id, false).into()).await
                    && ack.await.is_ok()
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("JetStream did not take message {id}");
        }
    };
    publish(0).await;
    tokio::task::block_in_place(|| ran(&binary, "from_nats", 0, Instant::now()));

    tokio::task::block_in_place(|| nats.kill());
    tokio::time::sleep(OUTAGE).await;
    tokio::task::block_in_place(|| nats.restart());
    let back = Instant::now();
    publish(1).await;
    let published = back.elapsed();
    let took = tokio::task::block_in_place(|| ran(&binary, "from_nats", 1, back));
    eprintln!("NATS outage of {OUTAGE:?}: published again {published:?} and ran {took:?} after the server listened");
    assert!(took < AFTER_AN_OUTAGE, "the source resumed {took:?} after NATS came back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amqp_source_resumes_soon_after_its_broker_comes_back() {
    if !available("RabbitMQ", 5672) {
        return;
    }
    // The shared RabbitMQ through a proxy of this test's own (a private RabbitMQ would take
    // long to start): cutting the proxy is, to the source, the broker going away.
    let _alone = ONE_BROKER_TEST_AT_A_TIME.lock().await;
    let mut proxy = Proxy::start(5672).await;
    let instance = fresh_instance("amqp-outage");
    let binary = Binary::example("brokers");
    let config = format!("amqp_url = \"amqp://guest:guest@127.0.0.1:{}/%2f\"", proxy.port);
    assert!(binary.activate(&instance, &config, "http://127.0.0.1:9").status.success());
    let queue = format!("aqueduct-test-{instance}");
    let (_connection, channel) = amqp_channel(RABBITMQ, &queue).await;
    let _server = tokio::task::block_in_place(|| binary.serve(&["serve"]));
    publish_amqp(&channel, &queue, 0).await;
    tokio::task::block_in_place(|| ran(&binary, "from_amqp", 0, Instant::now()));

    proxy.cut().await;
    tokio::time::sleep(OUTAGE).await;
    publish_amqp(&channel, &queue, 1).await;
    proxy.restore().await;
    let back = Instant::now();
    let took = tokio::task::block_in_place(|| ran(&binary, "from_amqp", 1, back));
    eprintln!("AMQP outage of {OUTAGE:?}: a message waiting in the queue ran {took:?} after the broker came back");
    assert!(took < AFTER_AN_OUTAGE, "the source resumed {took:?} after the broker came back");
}
