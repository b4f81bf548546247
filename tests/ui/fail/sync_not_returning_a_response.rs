use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

#[derive(Serialize)]
struct Customer {
    name: String,
}

#[flow(sync, path = "/customers/lookup", method = GET, timeout = "2s")]
async fn lookup(_ctx: Ctx<Settings>) -> Result<Customer> {
    Ok(Customer { name: "Ada".into() })
}

aqueduct::integration! { name: "ui", config: Settings, flows: [lookup] }
