// A misspelled kind is reported as such, not also as a flow without a kind, and the flow's
// endpoint is still found.
use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(webhok, path = "/orders")]
async fn orders(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(on_activate)]
async fn register(ctx: Activation<Settings>) -> Result<()> {
    let _url = ctx.endpoint::<orders>();
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [orders, register] }
