use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(schedule = "@hourlly")]
async fn poll(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [poll] }
