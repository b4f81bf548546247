// One mistake in a pre-process flow is reported once: its event flows still find it listed,
// and `endpoint::<GitHub>()` still finds its endpoint.
use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(preprocess, path = "/github", config = Settings, route = json("type"))]
struct GitHub;

#[flow(event = "push", from = GitHub)]
async fn push(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(on_activate)]
async fn register(ctx: Activation<Settings>) -> Result<()> {
    let _url = ctx.endpoint::<GitHub>();
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [GitHub, push, register] }
