use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {
    broker_port: u16,
}

#[flow(amqp = "orders-{instance}", url = broker_port)]
async fn orders(_ctx: Ctx<Settings>, body: Bytes) -> Result<usize> {
    Ok(body.len())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [orders] }
