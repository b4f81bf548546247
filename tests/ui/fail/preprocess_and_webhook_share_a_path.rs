use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(preprocess, path = "/github", config = Settings, route = header("X-GitHub-Event"))]
struct GitHub;

#[flow(event = "push", from = GitHub)]
async fn push(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(webhook, path = "/github")]
async fn raw_github(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [GitHub, push, raw_github] }
