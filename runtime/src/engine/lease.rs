//! Leases: a run being executed is leased to its process, which renews the lease while it
//! works; a run whose holder died goes back to the inbox when its lease runs out.

use super::Engine;
use crate::model::{Config, RunId};
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;

/// How long a claimed run is leased; the holder renews it every [`HEARTBEAT`].
pub(super) const LEASE: Duration = Duration::from_secs(30);
const HEARTBEAT: Duration = Duration::from_secs(10);

/// Runs `attempt` while renewing the lease of `run` every [`HEARTBEAT`]: a command (`invoke`,
/// activation) runs a flow in its own process, and a server must not take the run over.
pub(super) async fn keeping_lease<T>(store: &dyn Store, run: RunId, attempt: impl Future<Output = T>) -> T {
    let renew = async {
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            if let Err(error) = store.heartbeat(vec![run], LEASE).await {
                tracing::warn!(error = %format!("{error:#}"), "renewing a lease failed");
            }
        }
    };
    tokio::select! {
        result = attempt => result,
        () = renew => unreachable!("renewing a lease never ends"),
    }
}

impl<C: Config> Engine<C> {
    /// Keeps this process's leases alive, and returns runs whose holder died to the inbox.
    pub(super) async fn maintenance_loop(self: Arc<Self>) {
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            // Until the drain is over: runs still executing while it waits keep their leases.
            if self.workers.is_stopping() && self.workers.in_flight().is_empty() {
                return;
            }
            let running = self.workers.in_flight();
            if !running.is_empty()
                && let Err(error) = self.store.heartbeat(running, LEASE).await
            {
                tracing::error!(error = %format!("{error:#}"), "renewing leases failed");
            }
            match self.store.maintain().await {
                Ok(()) => self.workers.queued(),
                Err(error) => tracing::error!(error = %format!("{error:#}"), "inbox maintenance failed"),
            }
        }
    }

    /// Stops starting runs and waits up to `timeout` for those executing; the ones still
    /// running then go back to the inbox for the next start.
    pub(crate) async fn drain(&self, timeout: Duration) {
        self.workers.stop();
        if tokio::time::timeout(timeout, self.workers.all_idle()).await.is_err() {
            let unfinished = self.workers.in_flight();
            tracing::warn!(runs = unfinished.len(), "runs still executing at the drain timeout go back to the inbox");
            if let Err(error) = self.store.release(unfinished).await {
                tracing::error!(error = %format!("{error:#}"), "returning unfinished runs to the inbox failed; they resume when their lease ends");
            }
        }
        let loops = self.loops.lock().expect("the loops' lock").take();
        if let Some(loops) = loops {
            let _ = loops.claims.await;
            for waiting in loops.waiting {
                waiting.abort();
                let _ = waiting.await;
            }
        }
    }
}
