use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(schedule = "@hourly")]
async fn poll(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(on_activate)]
async fn register(ctx: Activation<Settings>) -> Result<()> {
    let _url = ctx.endpoint::<poll>();
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [poll, register] }
