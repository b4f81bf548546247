//! Pub/sub sources against the real local brokers: each message runs exactly once when
//! nothing fails, none is lost across a broker restart, and a failing one ends dead (still
//! there to replay), never dropped.

use crate::brokers::{available, fresh_instance, restart_mosquitto, restart_nats, restart_rabbitmq};
use crate::support::{Binary, Server, eventually};
use std::collections::BTreeMap;
use std::time::Duration;

/// Enough time for a broker restart and the consumer's reconnection backoff.
const PATIENCE: Duration = Duration::from_secs(60);

/// The broker tests restart brokers; one at a time keeps them from disturbing each other.
pub static ONE_BROKER_TEST_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn serve(instance: &str) -> (Binary, Server) {
    let binary = Binary::example("brokers");
    assert!(binary.activate(instance, "", "http://127.0.0.1:9").status.success());
    let server = binary.serve(&["serve"]);
    (binary, server)
}

/// Runs of `flow` by message id, with their statuses.
pub fn runs_by_id(binary: &Binary, flow: &str) -> BTreeMap<u64, Vec<String>> {
    let database = binary.database();
    let mut statement = database
        .prepare("SELECT body, status FROM runs JOIN payloads ON payloads.run_id = runs.id WHERE flow = ?1")
        .unwrap();
    let mut runs: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for row in statement.query_map([flow], |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, String>(1)?))).unwrap() {
        let (body, status) = row.unwrap();
        let id = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["id"].as_u64().unwrap();
        runs.entry(id).or_default().push(status);
    }
    runs
}

/// Waits until every id in `ids` has a finished run, and returns the runs.
fn finished(binary: &Binary, flow: &str, ids: impl Iterator<Item = u64> + Clone) -> BTreeMap<u64, Vec<String>> {
    eventually(PATIENCE, &format!("runs of {flow} for every message"), || {
        let runs = runs_by_id(binary, flow);
        let done = ids.clone().all(|id| {
            runs.get(&id)
                .is_some_and(|statuses| statuses.iter().all(|status| status == "succeeded" || status == "dead"))
        });
        done.then_some(runs)
    })
}

pub fn message(id: u64, fail: bool) -> Vec<u8> {
    serde_json::json!({ "id": id, "fail": fail }).to_string().into_bytes()
}

/// Checks the three promises on `runs`: ids before `exactly_once_until` once each, those up to
/// `restart_until` at least once, and `restart_until` itself dead.
fn check(runs: &BTreeMap<u64, Vec<String>>, exactly_once_until: u64, restart_until: u64) {
    for id in 0..exactly_once_until {
        assert_eq!(runs[&id], ["succeeded"], "message {id} before the restart");
    }
    for id in exactly_once_until..restart_until {
        assert!(
            runs.get(&id).is_some_and(|statuses| statuses.contains(&"succeeded".to_owned())),
            "message {id} was lost"
        );
    }
    assert_eq!(runs[&restart_until], ["dead"], "a failing message ends dead, still stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_messages_run_once_survive_a_restart_and_never_drop() {
    if !available("NATS", 4222) {
        return;
    }
    let _alone = ONE_BROKER_TEST_AT_A_TIME.lock().await;
    let instance = fresh_instance("nats");
    let (binary, _server) = tokio::task::block_in_place(|| serve(&instance));
    let subject = format!("aqueduct_test.{instance}.orders");
    let client = async_nats::connect("127.0.0.1:4222").await.unwrap();
    let jetstream = async_nats::jetstream::new(client);
    // The consumer, not only the stream: the stream outlives the server (an earlier run made it),
    // and the burst below must find the consumer this server creates.
    let consumer = format!("aqueduct-brokers-from_nats-{instance}");
    eventually(PATIENCE, "the source to create its consumer", || {
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async {
                jetstream.get_stream("AQUEDUCT_TEST").await.ok()?.consumer_info(&consumer).await.ok()
            })
        })
    });
    // Publishes until JetStream stores it; its `Nats-Msg-Id` keeps a retried publish single.
    let publish = |id: u64, fail: bool| {
        let (jetstream, subject) = (jetstream.clone(), subject.clone());
        async move {
            loop {
                let mut headers = async_nats::HeaderMap::new();
                headers.insert("Nats-Msg-Id", format!("{subject}-{id}").as_str());
                if let Ok(ack) =
                    jetstream.publish_with_headers(subject.clone(), headers, message(id, fail).into()).await
                    && ack.await.is_ok()
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    for id in 0..200 {
        publish(id, false).await;
    }
    // A burst, then the restart while the consumer still has some of it unacknowledged or
    // undelivered: mid-stream, not after the stream ran dry.
    let mut next = 200;
    let in_flight = loop {
        assert!(next < 10_000, "the consumer kept up with every burst; no restart came mid-stream");
        futures::future::join_all((next..next + 500).map(|id| publish(id, false))).await;
        next += 500;
        let stream = jetstream.get_stream("AQUEDUCT_TEST").await.unwrap();
        let info = stream.consumer_info(&consumer).await.unwrap();
        let waiting = info.num_ack_pending as u64 + info.num_pending;
        if waiting > 0 {
            break waiting;
        }
    };
    tokio::task::block_in_place(restart_nats);
    eprintln!("restarted NATS with {in_flight} of the burst not yet acknowledged");
    publish(next, true).await;
    let runs = tokio::task::block_in_place(|| finished(&binary, "from_nats", 0..next + 1));
    check(&runs, 200, next);
    // Stored in the stream once, each message runs once even across the restart.
    for id in 200..next {
        assert_eq!(runs[&id].len(), 1, "message {id} ran {} times", runs[&id].len());
    }
}

/// Publishes, persistent and with a message id; true once the broker confirms it.
async fn publish_amqp(channel: lapin::Channel, queue: String, id: u64, fail: bool) -> bool {
    use lapin::BasicProperties;
    use lapin::options::BasicPublishOptions;
    let properties = BasicProperties::default().with_delivery_mode(2).with_message_id(id.to_string().into());
    let payload = message(id, fail);
    match channel
        .basic_publish("".into(), queue.as_str().into(), BasicPublishOptions::default(), &payload, properties)
        .await
    {
        Ok(confirmation) => confirmation.await.is_ok_and(|confirmed| confirmed.is_ack()),
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amqp_messages_run_once_survive_a_restart_and_never_drop() {
    use lapin::options::{ConfirmSelectOptions, QueueDeclareOptions};
    use lapin::{Connection, ConnectionProperties, types::FieldTable};
    if !available("RabbitMQ", 5672) {
        return;
    }
    let _alone = ONE_BROKER_TEST_AT_A_TIME.lock().await;
    let instance = fresh_instance("amqp");
    let (binary, _server) = tokio::task::block_in_place(|| serve(&instance));
    let queue = format!("aqueduct-test-{instance}");
    let connect = || async {
        let connection =
            Connection::connect("amqp://guest:guest@127.0.0.1:5672/%2f", ConnectionProperties::default()).await?;
        let channel = connection.create_channel().await?;
        channel.confirm_select(ConfirmSelectOptions::default()).await?;
        let durable = QueueDeclareOptions { durable: true, ..Default::default() };
        channel.queue_declare(queue.as_str().into(), durable, FieldTable::default()).await?;
        Ok::<_, lapin::Error>((connection, channel))
    };
    let mut channel = connect().await.unwrap();
    let publish =
        |channel: &lapin::Channel, id: u64, fail: bool| publish_amqp(channel.clone(), queue.clone(), id, fail);
    for id in 0..200u64 {
        assert!(publish(&channel.1, id, false).await);
    }
    // A burst, then the restart while the consumer has not stored all of it yet.
    let mut next = 200;
    loop {
        assert!(next < 10_000, "the consumer kept up with every burst; no restart came mid-stream");
        let confirmed = futures::future::join_all((next..next + 1000).map(|id| publish(&channel.1, id, false))).await;
        assert!(confirmed.iter().all(|confirmed| *confirmed), "the broker confirmed every publish");
        next += 1000;
        let stored = tokio::task::block_in_place(|| runs_by_id(&binary, "from_amqp").len() as u64);
        if stored < next {
            eprintln!("restarting RabbitMQ with {} of {next} messages not yet stored", next - stored);
            break;
        }
    }
    tokio::task::block_in_place(restart_rabbitmq);
    // The failing message, published until the restarted broker confirms it.
    while !publish(&channel.1, next, true).await {
        tokio::time::sleep(Duration::from_millis(300)).await;
        if let Ok(reconnected) = connect().await {
            channel = reconnected;
        }
    }
    let runs = tokio::task::block_in_place(|| finished(&binary, "from_amqp", 0..next + 1));
    check(&runs, 200, next);
    for id in 200..next {
        assert_eq!(
            runs[&id].len(),
            1,
            "message {id} ran {} times: its message id makes a redelivery run once",
            runs[&id].len()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_messages_run_once_survive_a_restart_and_never_drop() {
    use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, QoS};
    if !available("Mosquitto", 1883) {
        return;
    }
    let _alone = ONE_BROKER_TEST_AT_A_TIME.lock().await;
    let instance = fresh_instance("mqtt");
    let (binary, _server) = tokio::task::block_in_place(|| serve(&instance));
    let topic = format!("aqueduct-test/{instance}/orders");
    // A persistent session of its own, so messages are resent after the restart until acknowledged.
    let mut options = MqttOptions::new(format!("publisher-{instance}"), "127.0.0.1", 1883);
    options.set_clean_session(false).set_keep_alive(Duration::from_secs(5));
    let (client, mut events) = AsyncClient::new(options, 1000);
    // The source subscribes within a second of the server's start; until then nothing is kept.
    let probe = topic.clone();
    eventually(PATIENCE, "the source to subscribe", || {
        let _ = std::process::Command::new("mosquitto_pub")
            .args(["-q", "1", "-t", &probe, "-m", &String::from_utf8(message(10_000, false)).unwrap()])
            .status();
        std::thread::sleep(Duration::from_millis(200));
        runs_by_id(&binary, "from_mqtt").contains_key(&10_000).then_some(())
    });
    let publisher = tokio::spawn(async move {
        let mut acknowledged = 0;
        while acknowledged < 401 {
            match events.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => acknowledged += 1,
                Ok(Event::Outgoing(Outgoing::Publish(_))) | Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    });
    for id in 0..200u64 {
        client.publish(topic.as_str(), QoS::AtLeastOnce, false, message(id, false)).await.unwrap();
    }
    let first = tokio::task::block_in_place(|| finished(&binary, "from_mqtt", 0..200));
    // A burst, and the restart while it is still on its way through the broker.
    for id in 200..400u64 {
        client.publish(topic.as_str(), QoS::AtLeastOnce, false, message(id, false)).await.unwrap();
    }
    let stored = tokio::task::block_in_place(|| runs_by_id(&binary, "from_mqtt").range(200..400).count());
    assert!(stored < 200, "the whole burst was consumed before the restart");
    tokio::task::block_in_place(restart_mosquitto);
    client.publish(topic.as_str(), QoS::AtLeastOnce, false, message(400, true)).await.unwrap();
    tokio::time::timeout(PATIENCE, publisher).await.expect("the broker acknowledged every publish").unwrap();
    let runs = tokio::task::block_in_place(|| finished(&binary, "from_mqtt", 0..401));
    assert!((0..200).all(|id| first[&id] == ["succeeded"]), "before the restart, each message ran once");
    check(&runs, 200, 400);
}

/// Instances of a running server, by message id: which instance ran each.
fn instances_by_id(binary: &Binary, flow: &str) -> BTreeMap<u64, String> {
    let database = binary.database();
    let mut statement = database
        .prepare("SELECT body, instance FROM runs JOIN payloads ON payloads.run_id = runs.id WHERE flow = ?1")
        .unwrap();
    statement
        .query_map([flow], |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, String>(1)?)))
        .unwrap()
        .map(|row| {
            let (body, instance) = row.unwrap();
            (serde_json::from_slice::<serde_json::Value>(&body).unwrap()["id"].as_u64().unwrap(), instance)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_instance_consumes_its_own_messages_and_its_consumer_follows_its_configuration() {
    if !available("NATS", 4222) {
        return;
    }
    let _alone = ONE_BROKER_TEST_AT_A_TIME.lock().await;
    let (a, b) = (fresh_instance("nats-a"), fresh_instance("nats-b"));
    let binary = Binary::example("brokers");
    assert!(binary.activate(&a, "", "http://127.0.0.1:9").status.success());
    assert!(binary.activate(&b, "", "http://127.0.0.1:9").status.success());
    let server = tokio::task::block_in_place(|| binary.serve_logging(&["serve"], "info"));
    // Waits until the server's log shows the `count`th `what` of `instance`'s consumer.
    let logged = |what: &str, instance: &str, count: usize| {
        let instance = format!("instance=\"{instance}\"");
        tokio::task::block_in_place(|| server.wait_for_log(&["from_nats", what, &instance], count, PATIENCE));
    };
    let jetstream = async_nats::jetstream::new(async_nats::connect("127.0.0.1:4222").await.unwrap());
    let publish = |instance: &str, id: u64| {
        let (jetstream, subject) = (jetstream.clone(), format!("aqueduct_test.{instance}.orders"));
        async move {
            // The stream exists once a consumer has started; until then, publishing fails.
            for _ in 0..300 {
                if let Ok(ack) = jetstream.publish(subject.clone(), message(id, false).into()).await
                    && ack.await.is_ok()
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            panic!("JetStream did not take message {id}");
        }
    };
    let ran_by = |id: u64| tokio::task::block_in_place(|| instances_by_id(&binary, "from_nats").get(&id).cloned());
    let quiet = || tokio::time::sleep(Duration::from_secs(3));

    publish(&a, 1).await;
    publish(&b, 2).await;
    let runs = tokio::task::block_in_place(|| finished(&binary, "from_nats", 1..3));
    assert_eq!(runs.len(), 2, "each message ran once: {runs:?}");
    assert_eq!((ran_by(1), ran_by(2)), (Some(a.clone()), Some(b.clone())), "each ran as its own instance");

    // Configured anew with a broker that is not there, `a`'s consumer stops taking messages…
    assert!(binary.activate(&a, "nats_url = \"nats://127.0.0.1:9\"", "http://127.0.0.1:9").status.success());
    logged("reconnecting", &a, 1);
    publish(&a, 3).await;
    quiet().await;
    assert_eq!(ran_by(3), None, "a consumer configured for another broker still consumed");
    // …and configured back, takes up where it left off.
    assert!(binary.activate(&a, "", "http://127.0.0.1:9").status.success());
    tokio::task::block_in_place(|| finished(&binary, "from_nats", 3..4));
    assert_eq!(ran_by(3), Some(a.clone()));

    // A deactivated instance consumes nothing; the stream keeps its messages.
    binary.ok(&["instances", "deactivate", &b]);
    logged("stopped consuming", &b, 1);
    publish(&b, 4).await;
    quiet().await;
    assert_eq!(ran_by(4), None, "a deactivated instance consumed a message");
}
