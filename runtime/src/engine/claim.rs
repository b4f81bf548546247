//! Workers: runs claimed from the inbox whenever some may be due and a worker is free, each
//! executed on a task of its own.

use super::Engine;
use super::execute::Retries;
use super::lease::LEASE;
use super::shares::Slot;
use crate::model::{Config, FlowDescriptor, Handler, Result, RunId};
use crate::store::{ClaimedRun, FlowClaim};
use std::sync::Arc;
use std::time::Duration;

/// How often to look for runs that no wake-up announced (another process's replays).
const POLL: Duration = Duration::from_millis(500);

impl<C: Config> Engine<C> {
    /// Executes a run this process holds the lease of, on its own task.
    pub(super) fn spawn_run(self: &Arc<Self>, run: ClaimedRun, slot: Slot) {
        self.workers.started(run.id);
        let engine = self.clone();
        tokio::spawn(async move {
            let id = run.id;
            if let Err(error) = engine.execute(run, Retries::ByPolicy).await {
                tracing::debug!(%id, error = %format!("{error:#}"), "attempt ended with an error");
            }
            engine.workers.ended(id);
            drop(slot);
            if engine.workers.room_made() || engine.workers.may_have_queued() {
                engine.workers.queued();
            }
        });
    }

    /// Marks the inbox as holding runs due at `due_at`.
    pub(super) fn wake_at(self: &Arc<Self>, due_at: jiff::Timestamp) {
        // Not holding the engine while it sleeps: a stopped server's store is let go at once.
        let engine = Arc::downgrade(self);
        tokio::spawn(async move {
            let wait = jiff::Timestamp::now().duration_until(due_at);
            tokio::time::sleep(Duration::try_from(wait).unwrap_or_default()).await;
            if let Some(engine) = engine.upgrade() {
                engine.workers.queued();
            }
        });
    }

    /// Starts the next attempt of a failed run now rather than at its due time (`testing`
    /// skips the waits between attempts).
    pub(crate) async fn hurry(&self, run: RunId) -> Result<()> {
        if self.store.make_due(run).await? {
            self.workers.queued();
        }
        Ok(())
    }

    /// Wakes the claim loop when another server announces runs it queued (a shared store).
    pub(super) async fn announcement_loop(self: Arc<Self>) {
        while !self.workers.is_stopping() {
            self.store.runs_announced().await;
            self.workers.queued();
        }
    }

    /// Claims runs from the inbox whenever some may be due and a worker is free, until shutdown.
    pub(super) async fn claim_loop(self: Arc<Self>) {
        let workers = &self.workers;
        let queued_flows: Vec<_> =
            self.flows.iter().filter(|flow| matches!(flow.handler, Handler::Event { .. })).collect();
        // Each round starts with the next flow, so a backlog in one cannot starve the others.
        let mut first = 0;
        while !workers.is_stopping() {
            let free = workers.free_slots();
            if free == 0 || !workers.take_queued() {
                if !workers.woken_within(POLL).await {
                    workers.queued();
                }
                continue;
            }
            first = (first + 1) % queued_flows.len().max(1);
            // Runs of a flow holding its share of the workers wait, and so do those of an
            // instance holding its share of the flow's.
            let claims: Vec<FlowClaim> = queued_flows[first..]
                .iter()
                .chain(&queued_flows[..first])
                .map(|flow| FlowClaim {
                    flow: flow.name,
                    limit: free.min(workers.room(flow.name)),
                    concurrency: flow.policy.concurrency,
                    ordered: flow.policy.ordered,
                    passing_over: workers.full_instances(flow.name),
                })
                .collect();
            let asked = free.min(claims.iter().map(|claim| claim.limit).sum());
            // Runs passed over, or a flow given less than the free slots, wait for a share's
            // room: the next run to end wakes this loop (without it, not before the next poll).
            if claims.iter().any(|claim| !claim.passing_over.is_empty() || claim.limit < free) {
                workers.await_room();
            }
            let claimed = match self.store.claim(claims, free, LEASE).await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::error!(error = %format!("{error:#}"), "claiming runs failed; trying again shortly");
                    tokio::time::sleep(POLL).await;
                    workers.queued();
                    continue;
                }
            };
            if claimed.len() >= asked {
                // The batch was as full as asked (each flow's room may be less than the free
                // slots): there may be more, due now.
                workers.queued();
            }
            let mut unstarted = Vec::new();
            for run in claimed {
                // A run that just came in may have taken a slot meanwhile, or shutdown begun: a
                // claimed run that cannot start now goes back, rather than wait holding its lease.
                match workers.try_slot(flow_name(&queued_flows, &run.flow), &run.instance) {
                    Some(slot) if !workers.is_stopping() => self.spawn_run(run, slot),
                    _ => unstarted.push(run.id),
                }
            }
            if !unstarted.is_empty() {
                if let Err(error) = self.store.release(unstarted).await {
                    tracing::error!(error = %format!("{error:#}"), "returning claimed runs to the inbox failed; they resume when their lease ends");
                }
                workers.queued();
            }
        }
    }
}

/// The flow's own name, `'static` as the shares keep it.
fn flow_name<C>(flows: &[&FlowDescriptor<C>], name: &str) -> &'static str {
    flows.iter().find(|flow| flow.name == name).map_or("", |flow| flow.name)
}
