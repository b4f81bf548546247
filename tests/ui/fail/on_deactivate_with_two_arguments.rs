use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(on_activate)]
async fn register(_ctx: Activation<Settings>) -> Result<u64> {
    Ok(7)
}

#[flow(on_deactivate)]
async fn unregister(_ctx: Activation<Settings>, hook_id: u64, extra: u64) -> Result<()> {
    let _ = (hook_id, extra);
    Ok(())
}

aqueduct::integration! { name: "two", config: Settings, flows: [register, unregister] }
