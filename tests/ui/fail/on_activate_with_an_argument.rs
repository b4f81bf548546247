use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(on_activate)]
async fn register(_ctx: Activation<Settings>, hook_id: u64) -> Result<()> {
    let _ = hook_id;
    Ok(())
}

aqueduct::integration! { name: "extra", config: Settings, flows: [register] }
