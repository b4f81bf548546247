//! How a flow's runs are retried, limited, ordered and deduplicated.

use super::request_key::RequestKey;
use super::retention::Retention;
use backon::BackoffBuilder;
use std::time::Duration;

/// How a flow's runs are retried, limited, ordered and deduplicated (`#[flow(retries = …, …)]`).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Policy {
    /// Attempts after the first; a run gets `retries + 1` attempts in all.
    pub retries: u32,
    /// The delay after the first failed attempt; each later delay doubles, up to `backoff_max`.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Runs of this flow executing at once, across all instances; `None` is no limit.
    pub concurrency: Option<u32>,
    /// An instance's runs execute one at a time, in arrival order.
    pub ordered: bool,
    /// Where a webhook's delivery id is; a repeated id within `dedupe_window` does not run again.
    pub dedupe: Option<RequestKey>,
    pub dedupe_window: Duration,
    /// The largest webhook body accepted, in bytes.
    pub max_body: usize,
    /// How long an attempt may run before it fails (and is retried like any failure).
    pub timeout: Duration,
    /// How long finished runs and their payloads are kept, as the flow sets it.
    pub retention: Retention,
}

impl Policy {
    pub const DEFAULT: Policy = Policy {
        retries: 8,
        backoff_min: Duration::from_secs(1),
        backoff_max: Duration::from_secs(600),
        concurrency: None,
        ordered: false,
        dedupe: None,
        dedupe_window: Duration::from_secs(7 * 24 * 3600),
        max_body: 1024 * 1024,
        timeout: Duration::from_secs(600),
        retention: Retention::UNSET,
    };

    /// How long to wait after attempt `attempt` (from 1) failed: `backoff_min · 2^(attempt-1)`
    /// plus up to as much again of random jitter, never more than `backoff_max`.
    pub(crate) fn retry_delay(&self, attempt: u32) -> Duration {
        let mut delays = backon::ExponentialBuilder::default()
            .with_min_delay(self.backoff_min)
            .with_max_delay(self.backoff_max)
            .with_jitter()
            .without_max_times()
            .build();
        let delay = delays.nth(attempt.saturating_sub(1) as usize).unwrap_or(self.backoff_max);
        // backon's jitter can double a delay; the configured range is the promise.
        delay.min(self.backoff_max)
    }

    /// Whether runs may skip the inbox queue and start at once when a worker is free.
    pub(crate) fn starts_at_once(&self) -> bool {
        self.concurrency.is_none() && !self.ordered
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_with_jitter_and_stay_in_range() {
        let policy =
            Policy { backoff_min: Duration::from_millis(100), backoff_max: Duration::from_secs(1), ..Policy::DEFAULT };
        for _ in 0..100 {
            let first = policy.retry_delay(1);
            assert!(first >= Duration::from_millis(100) && first < Duration::from_millis(200), "{first:?}");
            let third = policy.retry_delay(3);
            assert!(third >= Duration::from_millis(400) && third <= Duration::from_secs(1), "{third:?}");
            assert!(policy.retry_delay(20) <= Duration::from_secs(1));
        }
    }
}
