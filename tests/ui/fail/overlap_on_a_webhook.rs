use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(webhook, path = "/orders", overlap = skip, catch_up = "1h")]
async fn orders(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [orders] }
