use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(webhook, path = "/orders")]
async fn order_created(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(webhook, path = "/orders")]
async fn order_updated(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [order_created, order_updated] }
