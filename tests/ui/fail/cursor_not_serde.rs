use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[derive(Default)]
struct Since {
    page: u32,
}

#[flow(schedule = "@hourly")]
async fn poll(ctx: Ctx<Settings>) -> Result<u32> {
    let since = ctx.cursor::<Since>().await?;
    Ok(since.page)
}

aqueduct::integration! { name: "ui", config: Settings, flows: [poll] }
