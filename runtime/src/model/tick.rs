//! The tick a schedule flow's run stands for: one fire time, or (catching up) the fire times
//! missed while no process ran.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// How many missed fire times a catch-up run lists; [`Tick::count`] says how many there were.
pub(crate) const MAX_COVERED: usize = 1000;

/// The tick a schedule flow's run stands for ([`Ctx::tick`](crate::Ctx::tick)).
///
/// A run fired by the clock stands for one tick. A run that catches up (`catch_up = "1h"`)
/// stands for every tick missed while no process ran, oldest first, coalesced into one run;
/// `at` is then the latest of them.
///
/// ```
/// use aqueduct::prelude::*;
///
/// #[derive(Deserialize)]
/// struct Settings {}
///
/// #[flow(schedule = "0 * * * *", catch_up = "6h")]
/// async fn hourly_report(ctx: Ctx<Settings>) -> Result<usize> {
///     let tick = ctx.tick().expect("a schedule flow's run has its tick");
///     // After a stop of three hours, one run covers the three hours missed.
///     tracing::info!(at = %tick.at, ticks = tick.count, "reporting");
///     Ok(tick.count)
/// }
/// # aqueduct::integration! { name: "reports", config: Settings, flows: [hourly_report] }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tick {
    /// The fire time this run is for: the latest, when it covers several.
    pub at: Timestamp,
    /// The fire times it covers, oldest first (at most the first 1,000: `count` says how
    /// many there were).
    pub covers: Vec<Timestamp>,
    /// How many fire times it covers.
    pub count: usize,
}

impl Tick {
    /// One fire time.
    pub(crate) fn at(at: Timestamp) -> Tick {
        Tick { at, covers: vec![at], count: 1 }
    }
}
