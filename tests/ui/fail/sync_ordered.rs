use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(sync, path = "/lookup", ordered = true)]
async fn lookup(_ctx: Ctx<Settings>) -> Result<StatusCode> {
    Ok(StatusCode::NO_CONTENT)
}

aqueduct::integration! { name: "ui", config: Settings, flows: [lookup] }
