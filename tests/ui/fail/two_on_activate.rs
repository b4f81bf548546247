use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(on_activate)]
async fn register_webhook(_ctx: Activation<Settings>) -> Result<()> {
    Ok(())
}

#[flow(on_activate)]
async fn send_welcome(_ctx: Activation<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [register_webhook, send_welcome] }
