use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[flow(webhook, path = "/orders")]
async fn orders(_ctx: Ctx<Settings>) -> String {
    String::new()
}

aqueduct::integration! { name: "ui", config: Settings, flows: [orders] }
