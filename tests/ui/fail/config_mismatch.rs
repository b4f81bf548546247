use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[derive(Deserialize)]
struct OtherSettings {}

#[flow(webhook, path = "/orders")]
async fn orders(_ctx: Ctx<OtherSettings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [orders] }
