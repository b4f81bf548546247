use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[derive(Serialize, Deserialize)]
struct Webhook {
    id: u64,
}

#[flow(on_activate)]
async fn register(_ctx: Activation<Settings>) -> Result<Webhook> {
    Ok(Webhook { id: 7 })
}

#[flow(on_deactivate)]
async fn unregister(_ctx: Activation<Settings>, hook_id: u64) -> Result<()> {
    let _ = hook_id;
    Ok(())
}

aqueduct::integration! { name: "mismatched", config: Settings, flows: [register, unregister] }
