// Without aqueduct's `nats`, `amqp` and `mqtt` features, a source flow does not compile, and
// the error names the feature to enable.
use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(nats = "orders.{instance}", stream = "ORDERS")]
async fn from_nats(_ctx: Ctx<Settings>, body: Bytes) -> Result<usize> {
    Ok(body.len())
}

#[flow(amqp = "orders-{instance}")]
async fn from_amqp(_ctx: Ctx<Settings>, body: Bytes) -> Result<usize> {
    Ok(body.len())
}

#[flow(mqtt = "sensors/{instance}/#")]
async fn from_mqtt(_ctx: Ctx<Settings>, body: Bytes) -> Result<usize> {
    Ok(body.len())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [from_nats, from_amqp, from_mqtt] }
