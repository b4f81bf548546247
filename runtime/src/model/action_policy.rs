//! How a component's action calls are limited: a timeout per call (`#[action(timeout = …)]`)
//! and a rate per component and instance (`#[component(rate = "10/s")]`).

use std::time::Duration;

/// How long an action call may take unless `#[action(timeout = "…")]` says otherwise.
pub const DEFAULT_ACTION_TIMEOUT: Duration = Duration::from_secs(60);

/// At most `count` calls per `per`, for each instance, across all runs in this process.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rate {
    pub count: u32,
    pub per: Duration,
}

/// What an action call is held to.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct ActionPolicy {
    pub component: &'static str,
    pub timeout: Duration,
    pub rate: Option<Rate>,
}
