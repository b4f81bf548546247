//! A test integration with one source flow per broker; built by `cargo test` as the example
//! `brokers` and driven by tests/binary/sources.rs against the local NATS, RabbitMQ and Mosquitto.

use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {
    /// Where NATS is, if not in AQUEDUCT_NATS_URL.
    nats_url: Option<String>,
    /// Where RabbitMQ is, if not in AQUEDUCT_AMQP_URL.
    amqp_url: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    id: u64,
    #[serde(default)]
    fail: bool,
}

fn handle(message: Message) -> Result<u64> {
    if message.fail {
        return Err(Error::msg(format!("message {} asked to fail", message.id)));
    }
    Ok(message.id)
}

#[flow(nats = "aqueduct_test.{instance}.orders", stream = "AQUEDUCT_TEST", url = nats_url, retries = 1, backoff = "100ms..100ms")]
async fn from_nats(_ctx: Ctx<Settings>, Json(message): Json<Message>) -> Result<u64> {
    handle(message)
}

#[flow(amqp = "aqueduct-test-{instance}", url = amqp_url, retries = 1, backoff = "100ms..100ms")]
async fn from_amqp(_ctx: Ctx<Settings>, Json(message): Json<Message>) -> Result<u64> {
    handle(message)
}

#[flow(mqtt = "aqueduct-test/{instance}/orders", qos = 1, retries = 1, backoff = "100ms..100ms")]
async fn from_mqtt(_ctx: Ctx<Settings>, Json(message): Json<Message>) -> Result<u64> {
    handle(message)
}

aqueduct::integration! {
    name: "brokers",
    config: Settings,
    flows: [from_nats, from_amqp, from_mqtt],
}
