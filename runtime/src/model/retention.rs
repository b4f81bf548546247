//! How long finished runs, and their payloads, are kept before the pruner removes them.

use std::time::Duration;

/// How long finished runs are kept: `#[flow(keep = "7d", keep_dead = "30d", keep_payload = "1d")]`
/// on a flow, or `keep: "…"`, `keep_dead: "…"`, `keep_payload: "…"` in `integration!` for every
/// flow. What a flow leaves out it takes from the integration, and what neither gives from
/// [`Retention::DEFAULT`]: succeeded and ignored runs 7 days, dead runs 30 days, payloads as long
/// as their runs.
///
/// ```
/// use aqueduct::__private::Retention;
/// use std::time::Duration;
///
/// let flow = Retention { keep: Some(Duration::from_secs(3600)), ..Retention::UNSET };
/// let kept = flow.or(Retention::DEFAULT);
/// assert_eq!(kept.keep, Some(Duration::from_secs(3600)));
/// assert_eq!(kept.keep_dead, Retention::DEFAULT.keep_dead);
/// ```
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Succeeded and ignored runs, from when they finished.
    pub keep: Option<Duration>,
    /// Dead runs: longer by default, since someone has to look at them and replay them.
    pub keep_dead: Option<Duration>,
    /// A finished run's payload (the request's headers, query and body); the run itself stays
    /// for its own `keep`. `None`: as long as the run.
    pub keep_payload: Option<Duration>,
}

const DAY: u64 = 24 * 3600;

impl Retention {
    /// Nothing given.
    pub const UNSET: Retention = Retention { keep: None, keep_dead: None, keep_payload: None };
    /// What neither a flow nor its integration sets.
    pub const DEFAULT: Retention = Retention {
        keep: Some(Duration::from_secs(7 * DAY)),
        keep_dead: Some(Duration::from_secs(30 * DAY)),
        keep_payload: None,
    };

    /// Each setting this leaves out, taken from `fallback`.
    pub const fn or(self, fallback: Retention) -> Retention {
        Retention {
            keep: if self.keep.is_some() { self.keep } else { fallback.keep },
            keep_dead: if self.keep_dead.is_some() { self.keep_dead } else { fallback.keep_dead },
            keep_payload: if self.keep_payload.is_some() { self.keep_payload } else { fallback.keep_payload },
        }
    }
}
