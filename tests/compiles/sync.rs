//! Every form of sync flow and reply compiles; a sync flow's URL is named like a webhook's.

use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {
    callback_hosts: Vec<String>,
    callback_secret: Secret,
    optional_hosts: Option<Vec<String>>,
}

#[derive(Deserialize, Serialize)]
struct Customer {
    name: String,
}

#[flow(sync, path = "/customers", method = GET, timeout = "2s", callback_hosts = callback_hosts, callback_secret = callback_secret)]
async fn lookup(_ctx: Ctx<Settings>, Query(customer): Query<Customer>) -> Result<Json<Customer>> {
    Ok(Json(customer))
}

#[flow(sync, path = "/customers/create", retries = 2, max_body = "64KB")]
async fn create(_ctx: Ctx<Settings>, Json(customer): Json<Customer>) -> Result<(StatusCode, Json<Customer>)> {
    Ok((StatusCode::CREATED, Json(customer)))
}

#[flow(sync, path = "/report.csv", callback_hosts = optional_hosts, callback_secret = callback_secret)]
async fn report(_ctx: Ctx<Settings>) -> Result<Reply> {
    Ok(Reply::bytes("text/csv", "a,b\n").with_header("cache-control", "no-store"))
}

#[flow(sync, path = "/ping")]
async fn ping(_ctx: Ctx<Settings>) -> Result<StatusCode> {
    Ok(StatusCode::NO_CONTENT)
}

#[flow(sync, path = "/hello", method = POST)]
async fn hello(_ctx: Ctx<Settings>, body: Bytes) -> Result<(StatusCode, String)> {
    Ok((StatusCode::OK, format!("{} bytes", body.len())))
}

#[flow(on_activate)]
async fn register(ctx: Activation<Settings>) -> Result<()> {
    let lookup: Url = ctx.endpoint::<lookup>();
    assert!(lookup.path().ends_with("/customers"));
    Ok(())
}

mod app {
    use super::*;
    aqueduct::integration! {
        name: "sync",
        config: Settings,
        flows: [lookup, create, report, ping, hello, register],
    }
}
