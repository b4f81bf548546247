use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(webhook, path = "/orders", keep = "a week", timeout = "0s")]
async fn orders(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [orders], keep_dead: "forever" }
