use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(preprocess, path = "/github", config = Settings, route = header("X-GitHub-Event"))]
async fn github(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [github] }
