use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {
    signing_secret: Secret,
}

#[flow(webhook, path = "/orders", verify = standard_webhook(secret = signing_secret))]
async fn orders(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [orders] }
