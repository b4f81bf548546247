use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(webhook, path = "/github")]
async fn github(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(event = "push", from = github)]
async fn push(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [github, push] }
