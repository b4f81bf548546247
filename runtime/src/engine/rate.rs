//! Components' rate limits: one keyed limiter per component and rate, keyed by instance, so a
//! limit holds across every run of an instance in this process (`governor`'s GCRA, bursts up
//! to the count).

use crate::model::Rate;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, LazyLock, Mutex};

type Limiters = HashMap<(&'static str, Rate), Arc<DefaultKeyedRateLimiter<String>>>;

/// Keyed by component and rate: one entry per component in the binary, so it stays small.
static LIMITERS: LazyLock<Mutex<Limiters>> = LazyLock::new(Mutex::default);

/// Waits until `component` may make another call for `instance`.
pub(crate) async fn wait_turn(component: &'static str, rate: Rate, instance: &str) {
    let limiter = LIMITERS
        .lock()
        .expect("rate limiters lock")
        .entry((component, rate))
        .or_insert_with(|| Arc::new(RateLimiter::keyed(quota(rate))))
        .clone();
    limiter.until_key_ready(&instance.to_owned()).await;
}

/// `count` per `per`: one call every `per / count`, and bursts of up to `count`.
fn quota(rate: Rate) -> Quota {
    let count = NonZeroU32::new(rate.count.max(1)).expect("at least one");
    Quota::with_period(rate.per / count.get()).unwrap_or_else(|| Quota::per_second(count)).allow_burst(count)
}
