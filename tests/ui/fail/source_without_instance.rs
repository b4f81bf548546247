use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(amqp = "orders")]
async fn order(_ctx: Ctx<Settings>, body: Bytes) -> Result<usize> {
    Ok(body.len())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [order] }
