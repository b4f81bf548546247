//! A test integration of per-second schedule flows, one per schedule policy; built by
//! `cargo test` as the example `clock`. A test pauses the flows it does not look at.

use aqueduct::prelude::*;
use std::time::Duration;

#[derive(Deserialize)]
struct Settings {
    /// How long each run works.
    work_ms: u64,
    /// This instance's cron for `configured`; without one, `configured` does not run for it.
    sync_cron: Option<String>,
}

/// When a run worked, and the tick it stood for.
#[derive(Serialize)]
struct Worked {
    started: jiff::Timestamp,
    finished: jiff::Timestamp,
    tick: Option<Tick>,
}

async fn work(ctx: &Ctx<Settings>) -> Result<Worked> {
    let started = jiff::Timestamp::now();
    tokio::time::sleep(Duration::from_millis(ctx.config().work_ms)).await;
    Ok(Worked { started, finished: jiff::Timestamp::now(), tick: ctx.tick().cloned() })
}

/// A tick while the previous run works is skipped (the default).
#[flow(schedule = "* * * * * *")]
async fn skipping(ctx: Ctx<Settings>) -> Result<Worked> {
    work(&ctx).await
}

/// A tick while the previous run works waits for it.
#[flow(schedule = "* * * * * *", overlap = queue)]
async fn queueing(ctx: Ctx<Settings>) -> Result<Worked> {
    work(&ctx).await
}

/// A tick runs beside the previous run.
#[flow(schedule = "* * * * * *", overlap = allow)]
async fn allowing(ctx: Ctx<Settings>) -> Result<Worked> {
    work(&ctx).await
}

/// Ticks missed while no process ran are run at start, as one run.
#[flow(schedule = "* * * * * *", catch_up = "1h")]
async fn catching_up(ctx: Ctx<Settings>) -> Result<Worked> {
    work(&ctx).await
}

/// Ticks missed while no process ran are not run.
#[flow(schedule = "* * * * * *")]
async fn not_catching_up(ctx: Ctx<Settings>) -> Result<Worked> {
    work(&ctx).await
}

/// Each instance on the cron in its configuration.
#[flow(schedule = config(sync_cron))]
async fn configured(ctx: Ctx<Settings>) -> Result<Worked> {
    work(&ctx).await
}

/// Once a year, and as soon as an instance is activated.
#[flow(schedule = "0 0 1 1 *", backfill = true)]
async fn backfilled(ctx: Ctx<Settings>) -> Result<Worked> {
    work(&ctx).await
}

aqueduct::integration! {
    name: "clock",
    config: Settings,
    flows: [skipping, queueing, allowing, catching_up, not_catching_up, configured, backfilled],
}
