use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {
    sync_every: u32,
}

#[flow(schedule = config(sync_every))]
async fn sync(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(schedule = config("sync_every"))]
async fn sync_quoted(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [sync, sync_quoted] }
