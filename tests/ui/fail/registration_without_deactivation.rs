use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[derive(Serialize, Deserialize)]
struct Webhook {
    id: u64,
}

/// Registers a webhook that nothing would ever remove.
#[flow(on_activate)]
async fn register(_ctx: Activation<Settings>) -> Result<Webhook> {
    Ok(Webhook { id: 7 })
}

aqueduct::integration! { name: "leaky", config: Settings, flows: [register] }
