//! What the workers of one process share.

use crate::store::RunId;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{Notify, Semaphore};

/// Runs executing at once in this process.
pub(crate) const WORKERS: usize = 64;

pub(crate) struct EngineState {
    /// One permit per run executing.
    pub slots: Arc<Semaphore>,
    /// The runs this process is executing, whose leases it keeps alive.
    pub in_flight: Mutex<HashSet<RunId>>,
    /// Set when the inbox may hold due runs that no worker has claimed.
    maybe_queued: AtomicBool,
    /// Wakes the claim loop.
    pub wake: Notify,
    /// Set once shutdown begins: no new runs start.
    stopping: AtomicBool,
}

impl Default for EngineState {
    fn default() -> Self {
        EngineState {
            slots: Arc::new(Semaphore::new(WORKERS)),
            in_flight: Mutex::new(HashSet::new()),
            maybe_queued: AtomicBool::new(true),
            wake: Notify::new(),
            stopping: AtomicBool::new(false),
        }
    }
}

impl EngineState {
    /// Something may be waiting in the inbox: wake the claim loop.
    pub(crate) fn queued(&self) {
        self.maybe_queued.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    pub(crate) fn may_have_queued(&self) -> bool {
        self.maybe_queued.load(Ordering::Acquire)
    }

    /// Whether to look in the inbox now, clearing the mark.
    pub(crate) fn take_queued(&self) -> bool {
        self.maybe_queued.swap(false, Ordering::AcqRel)
    }

    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }
}
