use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(schedule = "@hourly", dedupe = header("X-Id"))]
async fn poll(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [poll] }
