use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(schedule = "@hourly", concurrency = 0)]
async fn poll(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [poll] }
