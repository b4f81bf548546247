//! Every flow kind, every extractor and the schedule forms compile; flows may live in a module.

use aqueduct::prelude::*;

#[derive(Deserialize)]
struct Settings {
    api_url: Url,
    api_token: Secret,
    sync_cron: String,
    report_cron: Option<String>,
}

#[derive(Deserialize, Serialize)]
struct Order {
    id: u64,
}

#[derive(Deserialize)]
struct Page {
    page: u32,
}

mod orders {
    use super::{Order, Page, Settings};
    use aqueduct::prelude::*;

    #[flow(webhook, path = "/orders/created")]
    pub async fn created(ctx: Ctx<Settings>, Json(order): Json<Order>, Query(page): Query<Page>) -> Result<Order> {
        let _ = (ctx.config().api_url.as_str(), ctx.config().api_token.expose(), page.page);
        Ok(order)
    }

    #[flow(webhook, path = "/orders/raw")]
    pub async fn raw(_ctx: Ctx<Settings>, headers: HeaderMap, body: Bytes) -> Result<usize> {
        Ok(headers.len() + body.len())
    }
}

#[flow(schedule = "*/10 * * * * *")]
async fn every_ten_seconds(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(schedule = "0 9 * * MON-FRI", tz = "America/New_York")]
async fn weekday_mornings(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(schedule = "@daily")]
async fn daily(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(schedule = "0 * * * *", overlap = queue, catch_up = "6h", jitter = "1m", backfill = true)]
async fn hourly(ctx: Ctx<Settings>) -> Result<usize> {
    Ok(ctx.tick().map_or(0, |tick| tick.count))
}

#[flow(schedule = "0 3 * * *", overlap = allow)]
async fn nightly(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(schedule = config(sync_cron), tz = "Europe/Berlin", overlap = skip)]
async fn synced(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(schedule = config(report_cron))]
async fn report(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

#[flow(on_activate)]
async fn register(ctx: Activation<Settings>) -> Result<()> {
    let created: Url = ctx.endpoint::<orders::created>();
    let raw: Url = ctx.endpoint::<orders::raw>();
    assert_ne!(created, raw);
    Ok(())
}

#[flow(on_deactivate)]
async fn unregister(_ctx: Activation<Settings>) -> Result<()> {
    Ok(())
}

mod app {
    aqueduct::integration! {
        name: "every-kind",
        config: super::Settings,
        flows: [
            super::orders::created, super::orders::raw, super::every_ten_seconds, super::weekday_mornings, super::daily,
            super::hourly, super::nightly, super::synced, super::report, super::register, super::unregister,
        ],
    }
}
