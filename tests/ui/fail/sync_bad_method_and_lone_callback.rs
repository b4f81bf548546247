use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {
    callback_hosts: Vec<String>,
}

#[flow(sync, path = "/lookup", method = PUT)]
async fn lookup(_ctx: Ctx<Settings>) -> Result<StatusCode> {
    Ok(StatusCode::NO_CONTENT)
}

#[flow(sync, path = "/other", callback_hosts = callback_hosts)]
async fn other(_ctx: Ctx<Settings>) -> Result<StatusCode> {
    Ok(StatusCode::NO_CONTENT)
}

aqueduct::integration! { name: "ui", config: Settings, flows: [lookup, other] }
