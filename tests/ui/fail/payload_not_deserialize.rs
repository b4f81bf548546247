use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {}

struct Order {
    id: u64,
}

#[flow(webhook, path = "/orders")]
async fn orders(_ctx: Ctx<Settings>, Json(order): Json<Order>) -> Result<u64> {
    Ok(order.id)
}

aqueduct::integration! { name: "ui", config: Settings, flows: [orders] }
