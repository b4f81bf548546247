use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {
    signing_secret: Secret,
}

#[flow(webhook, path = "/orders", verify = standard_webhooks(secret = signing_secrt))]
async fn orders(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [orders] }
