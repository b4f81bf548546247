use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(webhook, path = "/slack", handshake = slack)]
async fn slack_event(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [slack_event] }
