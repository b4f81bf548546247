//! Timeouts and retention on flows and on the integration.

use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(webhook, path = "/orders", timeout = "30s", keep = "1d", keep_dead = "90d", keep_payload = "2h")]
async fn orders(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(schedule = "0 * * * *", keep = "12h")]
async fn hourly(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

mod app {
    aqueduct::integration! {
        name: "ui",
        config: super::Settings,
        flows: [super::orders, super::hourly],
        keep: "14d",
        keep_payload: "1d",
    }
}
