use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[derive(Deserialize)]
struct Order {}

#[flow(webhook, path = "/orders")]
async fn orders(Json(_order): Json<Order>, _ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [orders] }
