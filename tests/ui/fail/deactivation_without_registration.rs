use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

/// Takes a webhook id that no on_activate hook registers.
#[flow(on_deactivate)]
async fn unregister(_ctx: Activation<Settings>, hook_id: u64) -> Result<()> {
    let _ = hook_id;
    Ok(())
}

aqueduct::integration! { name: "orphan", config: Settings, flows: [unregister] }
