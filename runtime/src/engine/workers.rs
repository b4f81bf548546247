//! What the workers of one process share: their slots, the runs they hold, and the signals
//! that wake the claim loop.

use super::shares::{Shares, Slot};
use crate::model::RunId;
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

pub(crate) struct Workers {
    /// One permit per run executing.
    slots: Arc<Semaphore>,
    /// How many of them each flow and instance holds.
    shares: Arc<Shares>,
    /// How many permits there are.
    count: usize,
    /// The runs this process is executing, whose leases it keeps alive.
    in_flight: Mutex<HashSet<RunId>>,
    /// Set when the inbox may hold due runs that no worker has claimed.
    maybe_queued: AtomicBool,
    /// Set when a claim left runs waiting for a flow's or an instance's share: the next run
    /// to end makes room for them.
    room_awaited: AtomicBool,
    /// Wakes the claim loop.
    wake: Notify,
    /// Set once shutdown begins: no new runs start.
    stopping: AtomicBool,
}

impl Workers {
    /// `count` workers shared by `flows` flows that run on them.
    pub(crate) fn new(count: usize, flows: usize) -> Self {
        Workers {
            slots: Arc::new(Semaphore::new(count)),
            shares: Shares::new(count, flows),
            count,
            in_flight: Mutex::new(HashSet::new()),
            maybe_queued: AtomicBool::new(true),
            room_awaited: AtomicBool::new(false),
            wake: Notify::new(),
            stopping: AtomicBool::new(false),
        }
    }

    /// A free slot for a run of `flow` and `instance`, if there is one and neither holds its
    /// share already.
    pub(crate) fn try_slot(&self, flow: &'static str, instance: &str) -> Option<Slot> {
        self.shares.try_slot(&self.slots, flow, instance)
    }

    /// How many more runs of `flow` may start, free slots aside.
    pub(crate) fn room(&self, flow: &str) -> usize {
        self.shares.room(flow)
    }

    /// The instances whose runs of `flow` hold their share: those runs wait.
    pub(crate) fn full_instances(&self, flow: &str) -> Vec<String> {
        self.shares.full_instances(flow)
    }

    pub(crate) fn free_slots(&self) -> usize {
        self.slots.available_permits()
    }

    /// Waits until every slot is free: no run executes.
    pub(crate) async fn all_idle(&self) {
        let _ = self.slots.acquire_many(self.count as u32).await;
    }

    pub(crate) fn started(&self, run: RunId) {
        self.in_flight.lock().expect("in-flight lock").insert(run);
    }

    pub(crate) fn ended(&self, run: RunId) {
        self.in_flight.lock().expect("in-flight lock").remove(&run);
    }

    /// The runs executing now.
    pub(crate) fn in_flight(&self) -> Vec<RunId> {
        self.in_flight.lock().expect("in-flight lock").iter().copied().collect()
    }

    /// Something may be waiting in the inbox: wake the claim loop.
    pub(crate) fn queued(&self) {
        self.maybe_queued.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    pub(crate) fn may_have_queued(&self) -> bool {
        self.maybe_queued.load(Ordering::Acquire)
    }

    /// A claim left runs waiting for room in a share.
    pub(crate) fn await_room(&self) {
        self.room_awaited.store(true, Ordering::Release);
    }

    /// A run ended: whether a claim was waiting for the room it made, clearing the mark.
    pub(crate) fn room_made(&self) -> bool {
        self.room_awaited.swap(false, Ordering::AcqRel)
    }

    /// Whether to look in the inbox now, clearing the mark.
    pub(crate) fn take_queued(&self) -> bool {
        self.maybe_queued.swap(false, Ordering::AcqRel)
    }

    /// Waits for a wake-up, at most `timeout`; `false` when none came.
    pub(crate) async fn woken_within(&self, timeout: std::time::Duration) -> bool {
        tokio::time::timeout(timeout, self.wake.notified()).await.is_ok()
    }

    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }
}
