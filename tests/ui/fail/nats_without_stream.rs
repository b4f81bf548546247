use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(nats = "orders.{instance}")]
async fn orders(_ctx: Ctx<Settings>, body: Bytes) -> Result<usize> {
    Ok(body.len())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [orders] }
