//! Retention: a background pruner removes finished runs, and payloads, past their flow's keep —
//! a small batch at a time, so deliveries waiting for the same writer are not held up.

use super::Engine;
use crate::model::{Config, Flows, Result, Retention, RunId};
use crate::store::{Kept, Pruned, Pruning};
use std::sync::Arc;
use std::time::Duration;

/// Runs looked at per write: a pass of this size takes about a millisecond of the writer.
const BATCH: usize = 256;
/// The pause between two passes of a sweep, so ingest keeps most of the writer.
const BETWEEN_PASSES: Duration = Duration::from_millis(5);

/// Each flow's retention: its own settings, else the integration's, else the defaults.
pub(super) fn pruning<C>(flows: Flows<C>, integration: Retention) -> Pruning {
    let kept = |retention: Retention| {
        let retention = retention.or(integration).or(Retention::DEFAULT);
        let keep = retention.keep.unwrap_or_default();
        let keep_dead = retention.keep_dead.unwrap_or_default();
        Kept { keep, keep_dead, keep_payload: retention.keep_payload }
    };
    Pruning {
        flows: flows.iter().map(|flow| (flow.name.to_owned(), kept(flow.policy.retention))).collect(),
        otherwise: kept(Retention::UNSET),
    }
}

/// How long a sweep rests once it reached runs too new to be due: a tenth of the shortest keep,
/// from a second to a minute.
fn rest(pruning: &Pruning) -> Duration {
    (pruning.shortest() / 10).clamp(Duration::from_secs(1), Duration::from_secs(60))
}

impl<C: Config> Engine<C> {
    /// Sweeps the store for runs past their keep, until the server stops.
    pub(super) async fn prune_loop(self: Arc<Self>) {
        let rest = rest(&self.pruning);
        let mut after = RunId(0);
        while !self.workers.is_stopping() {
            let pause = match self.store.prune(self.pruning.clone(), after, BATCH, true).await {
                Ok(pruned) => {
                    if pruned.total_runs() + pruned.payloads > 0 {
                        tracing::debug!(runs = pruned.total_runs(), payloads = pruned.payloads, "pruned");
                    }
                    after = pruned.next.unwrap_or(RunId(0));
                    if pruned.next.is_some() { BETWEEN_PASSES } else { rest }
                }
                Err(error) => {
                    tracing::error!(error = %format!("{error:#}"), "pruning finished runs failed");
                    rest
                }
            };
            tokio::time::sleep(pause).await;
        }
    }

    /// Every run and payload due now, removed (`remove`) or only counted: `runs prune`.
    pub(crate) async fn prune_all(&self, remove: bool) -> Result<Pruned> {
        let mut total = Pruned::default();
        let mut after = RunId(0);
        loop {
            let pruned = self.store.prune(self.pruning.clone(), after, BATCH * 16, remove).await?;
            let next = pruned.next;
            total.add(pruned);
            match next {
                Some(next) => after = next,
                None => return Ok(total),
            }
        }
    }
}
