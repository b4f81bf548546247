//! Two-way integrations without echoes: a change written to a system comes back from it as a
//! change (its webhook, its next listing), and must not be sent back where it started.
//! [`Ctx::echoes`](super::Ctx::echoes) remembers, per instance, system and record, a digest of
//! what was last written there, for a while; a change reported by that system which matches it
//! is its echo.

use super::changes::{Record, digest};
use super::error::Result;
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

/// How long a write is remembered by default: longer than any system takes to report it back.
const DEFAULT_WINDOW: Duration = Duration::from_secs(3600);

/// One system's echoes, for the run's instance: see [`Ctx::echoes`](super::Ctx::echoes).
pub struct Echoes {
    marks: Arc<dyn EchoMarks>,
    instance: String,
    system: String,
    window: Duration,
}

/// What an echo mark is kept as: the record's id in a system, and a digest of what was written.
pub(crate) struct EchoMark {
    pub instance: String,
    pub system: String,
    pub record: String,
    pub digest: String,
    /// Until when it is kept (Unix milliseconds).
    pub expires_at: i64,
}

/// Where echo marks are kept: implemented by the engine, over the store.
pub(crate) trait EchoMarks: Send + Sync {
    /// Remembers that `mark`'s record is being written as its digest says.
    fn mark(&self, mark: EchoMark) -> BoxFuture<'static, Result<()>>;
    /// Whether a live mark has `mark`'s digest; any other mark of the record is dropped, as the
    /// system has moved on from what was written.
    fn matches(&self, mark: EchoMark) -> BoxFuture<'static, Result<bool>>;
}

impl Echoes {
    pub(crate) fn new(marks: Arc<dyn EchoMarks>, instance: &str, system: &str) -> Echoes {
        Echoes { marks, instance: instance.to_owned(), system: system.to_owned(), window: DEFAULT_WINDOW }
    }

    /// Remembers writes for `window` rather than an hour.
    pub fn within(self, window: Duration) -> Echoes {
        Echoes { window, ..self }
    }

    /// Call before writing `record` to the system: its report of this very record is then
    /// [an echo](Echoes::is_echo). (Before, not after: the system may report it before the
    /// write's answer arrives.)
    pub async fn writing<R: Record>(&self, record: &R) -> Result<()> {
        self.marks.mark(self.mark(record)?).await
    }

    /// Whether `record`, reported by the system as changed, is what was last written to it —
    /// an echo, not to be sent on. A record that differs is a change of the system's own.
    pub async fn is_echo<R: Record>(&self, record: &R) -> Result<bool> {
        self.marks.matches(self.mark(record)?).await
    }

    fn mark<R: Record>(&self, record: &R) -> Result<EchoMark> {
        let expires_at = jiff::Timestamp::now().as_millisecond() + self.window.as_millis() as i64;
        Ok(EchoMark {
            instance: self.instance.clone(),
            system: self.system.clone(),
            record: record.id(),
            digest: digest(record)?,
            expires_at,
        })
    }
}
