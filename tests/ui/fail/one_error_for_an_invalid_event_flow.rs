// An event flow with a mistake is reported once: its stand-in takes no event, so neither the
// listing check nor the other event flows report anything more.
use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(preprocess, path = "/github", config = Settings, route = header("X-GitHub-Event"))]
struct GitHub;

#[flow(event = "push", from = GitHub, retries = "3")]
async fn push(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(event = "push", from = GitHub)]
async fn also_push(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [GitHub, push, also_push] }
