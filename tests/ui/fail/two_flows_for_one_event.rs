use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(preprocess, path = "/github", config = Settings, route = header("X-GitHub-Event"))]
struct GitHub;

#[flow(event = "push", from = GitHub)]
async fn import_commits(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(event = "push", from = GitHub)]
async fn notify_team(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [GitHub, import_commits, notify_team] }
