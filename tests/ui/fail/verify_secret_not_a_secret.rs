use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {
    signing_secret: String,
}

#[flow(webhook, path = "/orders", verify = hmac_sha256(header = "X-Signature", secret = signing_secret))]
async fn orders(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

aqueduct::integration! { name: "ui", config: Settings, flows: [orders] }
