use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(schedule = "0 * * * *")]
async fn hourly(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(webhook, path = "/signups")]
async fn signup(ctx: Ctx<Settings>) -> Result<()> {
    ctx.invoke::<hourly>(()).await
}

aqueduct::integration! { name: "ui", config: Settings, flows: [hourly, signup] }
