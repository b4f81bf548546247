use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(on_activate)]
async fn register(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [register] }
