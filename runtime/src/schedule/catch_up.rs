//! `catch_up = "1h"`: at start, the ticks a schedule flow missed while no process ran (after
//! the last tick recorded as passed, and within the window) run as one run per instance, at
//! the latest of them, knowing which ticks it covers. Without `catch_up`, or on a store no
//! process has ticked on yet, nothing is caught up.

use super::Ticker;
use crate::model::{Config, MAX_COVERED, Result, Schedule, Tick, Trigger};
use jiff::{SignedDuration, Timestamp};
use tokio::task::JoinSet;

/// Past this many missed fire times, counting stops (a per-second schedule and a window of
/// a month): the run's tick says how many were counted.
const MAX_COUNTED: usize = 1_000_000;

/// Fires the missed ticks of `ticker`'s flow as one, if it catches up and any were missed.
pub(super) async fn run<C: Config>(ticker: &Ticker<C>, now: Timestamp, jittered: &mut JoinSet<()>) -> Result<()> {
    let flow = ticker.flow;
    let Trigger::Schedule { catch_up: Some(window), .. } = flow.trigger else { return Ok(()) };
    let Some(last) = ticker.handles.store.last_tick(&ticker.tick_key()).await? else { return Ok(()) };
    let window = SignedDuration::try_from(window).unwrap_or(SignedDuration::MAX);
    let since = Timestamp::from_millisecond(last)?.max(now.checked_sub(window).unwrap_or(Timestamp::MIN));
    let Some(tick) = missed(&ticker.schedule, since, now) else { return Ok(()) };
    tracing::info!(flow = flow.name, ticks = tick.count, since = %since, "catching up the ticks missed while no process ran");
    ticker.fire_for_all(tick, ticker.firing_instances().await, jittered).await;
    Ok(())
}

/// The fire times after `since` up to `now`, as one tick; `None` when there are none.
fn missed(schedule: &Schedule, since: Timestamp, now: Timestamp) -> Option<Tick> {
    let (mut covers, mut count, mut latest) = (Vec::new(), 0, None);
    let times = schedule.fire_times(since).map(|time| time.timestamp());
    for time in times.take_while(|time| *time <= now).take(MAX_COUNTED) {
        count += 1;
        if covers.len() < MAX_COVERED {
            covers.push(time);
        }
        latest = Some(time);
    }
    Some(Tick { at: latest?, covers, count })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn the_fire_times_missed_become_one_tick_at_the_latest() {
        let hourly = Schedule::parse("0 * * * *", "UTC").unwrap();
        let tick = missed(&hourly, at("2026-12-01T09:00:00Z"), at("2026-12-01T12:30:00Z")).unwrap();
        assert_eq!(tick.covers, [at("2026-12-01T10:00:00Z"), at("2026-12-01T11:00:00Z"), at("2026-12-01T12:00:00Z")]);
        assert_eq!((tick.at, tick.count), (at("2026-12-01T12:00:00Z"), 3));
        assert_eq!(missed(&hourly, at("2026-12-01T12:00:00Z"), at("2026-12-01T12:30:00Z")), None, "none missed");
    }

    #[test]
    fn a_long_miss_lists_the_first_thousand_and_counts_them_all() {
        let every_second = Schedule::parse("* * * * * *", "UTC").unwrap();
        let tick = missed(&every_second, at("2026-12-01T09:00:00Z"), at("2026-12-01T10:00:00Z")).unwrap();
        assert_eq!((tick.covers.len(), tick.count), (MAX_COVERED, 3600));
        assert_eq!(tick.at, at("2026-12-01T10:00:00Z"), "the latest of all");
        assert_eq!(tick.covers.last(), Some(&at("2026-12-01T09:16:40Z")), "the thousandth");
    }
}
