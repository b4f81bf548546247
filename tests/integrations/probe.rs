//! A test integration with one flow per behaviour the process tests need; built by
//! `cargo test` as the example `probe` and driven over HTTP and its command line.

use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {
    /// Echoed back, so a test can tell instances apart.
    label: String,
}

#[derive(Deserialize, Serialize)]
struct EchoQuery {
    page: u32,
}

/// Returns what each extractor read.
#[flow(webhook, path = "/echo")]
async fn echo(
    ctx: Ctx<Settings>,
    Query(query): Query<EchoQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<serde_json::Value> {
    let marker = headers.get("x-marker").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    Ok(serde_json::json!({
        "label": ctx.config().label,
        "page": query.page,
        "marker": marker,
        "body_len": body.len(),
    }))
}

/// Fires every second for each active instance.
#[flow(schedule = "* * * * * *")]
async fn tick(ctx: Ctx<Settings>) -> Result<String> {
    Ok(ctx.config().label.clone())
}

/// Fails every time.
#[flow(webhook, path = "/fail")]
async fn fail(_ctx: Ctx<Settings>) -> Result<()> {
    Err(Error::msg("this flow always fails"))
}

aqueduct::integration! {
    name: "probe",
    config: Settings,
    flows: [echo, tick, fail],
}
