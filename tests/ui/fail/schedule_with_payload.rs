use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[derive(Deserialize)]
struct Order {}

#[flow(schedule = "@hourly")]
async fn poll(_ctx: Ctx<Settings>, Json(_order): Json<Order>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [poll] }
