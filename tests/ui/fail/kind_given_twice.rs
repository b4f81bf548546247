// A kind given twice is one mistake, reported once.
use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(webhook, webhook, path = "/orders")]
async fn orders(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [orders] }
