//! The integration under soak: verified webhooks of which 1 % fail their first attempt, and a
//! schedule firing every second for each instance; finished runs kept for one minute (or, for
//! the short run, five seconds).

use aqueduct::prelude::*;

#[derive(Deserialize)]
pub struct Settings {
    signing_secret: Secret,
}

/// The secret every instance verifies Standard Webhooks signatures with.
pub const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

#[derive(Deserialize)]
pub struct Order {
    id: u64,
}

/// One order in a hundred fails its first attempt and is retried.
#[flow(webhook, path = "/orders", verify = standard_webhooks(secret = signing_secret), retries = 2, backoff = "100ms..200ms")]
async fn orders(ctx: Ctx<Settings>, Json(order): Json<Order>) -> Result<u64> {
    if order.id % 100 == 0 && ctx.attempt() == 1 {
        return Err(Error::msg("the third party had a bad moment"));
    }
    Ok(order.id)
}

#[flow(schedule = "* * * * * *")]
async fn every_second(_ctx: Ctx<Settings>) -> Result<()> {
    Ok(())
}

pub mod minute {
    aqueduct::integration! {
        name: "soak",
        config: super::Settings,
        flows: [super::orders, super::every_second],
        keep: "1m",
        keep_dead: "1m",
    }
}

pub mod brief {
    aqueduct::integration! {
        name: "soak",
        config: super::Settings,
        flows: [super::orders, super::every_second],
        keep: "5s",
        keep_dead: "5s",
    }
}
