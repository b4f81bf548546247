//! What the workers of one process share.

use crate::store::RunId;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{Notify, Semaphore};

/// Runs executing at once in this process, unless `serve --workers` says otherwise. A worker
/// holds its slot until the run's result is committed, so under load most slots wait on the
/// store rather than on the run; 64 capped a no-op flow at ~16,500 runs/s, 256 lets the engine
/// keep up with ingest (`cargo bench --bench ingest`).
pub(crate) const DEFAULT_WORKERS: u16 = 256;

pub(crate) struct EngineState {
    /// One permit per run executing.
    pub slots: Arc<Semaphore>,
    /// How many permits there are.
    pub workers: usize,
    /// The runs this process is executing, whose leases it keeps alive.
    pub in_flight: Mutex<HashSet<RunId>>,
    /// Set when the inbox may hold due runs that no worker has claimed.
    maybe_queued: AtomicBool,
    /// Wakes the claim loop.
    pub wake: Notify,
    /// Set once shutdown begins: no new runs start.
    stopping: AtomicBool,
}

impl EngineState {
    pub(crate) fn new(workers: usize) -> Self {
        EngineState {
            slots: Arc::new(Semaphore::new(workers)),
            workers,
            in_flight: Mutex::new(HashSet::new()),
            maybe_queued: AtomicBool::new(true),
            wake: Notify::new(),
            stopping: AtomicBool::new(false),
        }
    }

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
