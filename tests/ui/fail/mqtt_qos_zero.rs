use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(mqtt = "sensors/{instance}/#", qos = 0)]
async fn readings(_ctx: Ctx<Settings>, body: Bytes) -> Result<usize> {
    Ok(body.len())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [readings] }
