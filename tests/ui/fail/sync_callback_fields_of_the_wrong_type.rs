use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {
    callback_hosts: String,
    callback_secret: String,
}

#[flow(sync, path = "/lookup", callback_hosts = callback_hosts, callback_secret = callback_secret)]
async fn lookup(_ctx: Ctx<Settings>) -> Result<StatusCode> {
    Ok(StatusCode::NO_CONTENT)
}

aqueduct::integration! { name: "ui", config: Settings, flows: [lookup] }
