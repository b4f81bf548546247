//! The engine: runs start at once when a worker is free, or wait in the inbox until a worker
//! claims them; each attempt is recorded, and a failed one is retried by the flow's policy.

mod admit;
mod attempt;
mod execute;
mod state;

pub(crate) use admit::admit;
pub(crate) use attempt::run_attempt;
pub(crate) use execute::{Retries, execute};
pub(crate) use state::DEFAULT_WORKERS;
pub(crate) use state::EngineState;

use crate::app::App;
use crate::flow::{FlowDescriptor, Handler};
use crate::integration::Config;
use crate::store::{ClaimedRun, FlowClaim, RunId};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OwnedSemaphorePermit;

/// How long a claimed run is leased; the holder renews it every [`HEARTBEAT`].
pub(crate) const LEASE: Duration = Duration::from_secs(30);
const HEARTBEAT: Duration = Duration::from_secs(10);
/// How often to look for runs that no wake-up announced (another process's replays).
const POLL: Duration = Duration::from_millis(500);

/// A worker slot for a run of `flow` to start at once, if the flow allows it, one is free and
/// nothing older is waiting in the inbox.
pub(crate) fn reserve<C: Config>(app: &App<C>, flow: &FlowDescriptor<C>) -> Option<OwnedSemaphorePermit> {
    let engine = &app.engine;
    if !flow.policy.starts_at_once() || engine.is_stopping() || engine.may_have_queued() {
        return None;
    }
    engine.slots.clone().try_acquire_owned().ok()
}

/// Executes a run this process holds the lease of, on its own task.
pub(crate) fn spawn_run<C: Config>(app: &Arc<App<C>>, run: ClaimedRun, slot: OwnedSemaphorePermit) {
    app.engine.in_flight.lock().expect("in-flight lock").insert(run.id);
    let app = app.clone();
    tokio::spawn(async move {
        let id = run.id;
        if let Err(error) = execute(&app, run, Retries::ByPolicy).await {
            tracing::debug!(%id, error = %format!("{error:#}"), "attempt ended with an error");
        }
        app.engine.in_flight.lock().expect("in-flight lock").remove(&id);
        drop(slot);
        if app.engine.may_have_queued() {
            app.engine.wake.notify_one();
        }
    });
}

/// Runs `attempt` while renewing the lease of `run` every [`HEARTBEAT`]: a command (`invoke`,
/// activation) runs a flow in its own process, and the server must not take the run over.
pub(crate) async fn keeping_lease<C: Config, T>(app: &App<C>, run: RunId, attempt: impl Future<Output = T>) -> T {
    let renew = async {
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            if let Err(error) = app.store.heartbeat(vec![run], LEASE).await {
                tracing::warn!(error = %format!("{error:#}"), "renewing a lease failed");
            }
        }
    };
    tokio::select! {
        result = attempt => result,
        () = renew => unreachable!("renewing a lease never ends"),
    }
}

/// Marks the inbox as holding runs due at `due_at`.
pub(crate) fn wake_at<C: Config>(app: &Arc<App<C>>, due_at: jiff::Timestamp) {
    let app = app.clone();
    tokio::spawn(async move {
        let wait = jiff::Timestamp::now().duration_until(due_at);
        tokio::time::sleep(Duration::try_from(wait).unwrap_or_default()).await;
        app.engine.queued();
    });
}

/// Claims runs from the inbox whenever some may be due and a worker is free, until shutdown.
pub(crate) async fn claim_loop<C: Config>(app: Arc<App<C>>) {
    let engine = &app.engine;
    let queued_flows: Vec<&FlowDescriptor<C>> =
        app.integration.flows().iter().filter(|flow| matches!(flow.handler, Handler::Event { .. })).collect();
    // Each round starts with the next flow, so a backlog in one cannot starve the others.
    let mut first = 0;
    while !engine.is_stopping() {
        let free = engine.slots.available_permits();
        if free == 0 || !engine.take_queued() {
            if tokio::time::timeout(POLL, engine.wake.notified()).await.is_err() {
                engine.queued();
            }
            continue;
        }
        first = (first + 1) % queued_flows.len().max(1);
        let claims = queued_flows[first..]
            .iter()
            .chain(&queued_flows[..first])
            .map(|flow| FlowClaim {
                flow: flow.name,
                limit: free,
                concurrency: flow.policy.concurrency,
                ordered: flow.policy.ordered,
            })
            .collect();
        let claimed = match app.store.claim(claims, free, LEASE).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "claiming runs failed; trying again shortly");
                tokio::time::sleep(POLL).await;
                engine.queued();
                continue;
            }
        };
        if claimed.len() >= free {
            // The batch was full: there may be more.
            engine.queued();
        }
        let mut unstarted = Vec::new();
        for run in claimed {
            // A run that just came in may have taken a slot meanwhile, or shutdown begun: a
            // claimed run that cannot start now goes back, rather than wait holding its lease.
            match engine.slots.clone().try_acquire_owned() {
                Ok(slot) if !engine.is_stopping() => spawn_run(&app, run, slot),
                _ => unstarted.push(run.id),
            }
        }
        if !unstarted.is_empty() {
            if let Err(error) = app.store.release(unstarted).await {
                tracing::error!(error = %format!("{error:#}"), "returning claimed runs to the inbox failed; they resume when their lease ends");
            }
            engine.queued();
        }
    }
}

/// Keeps this process's leases alive, and returns runs whose holder died to the inbox.
pub(crate) async fn maintenance_loop<C: Config>(app: Arc<App<C>>) {
    loop {
        tokio::time::sleep(HEARTBEAT).await;
        let running: Vec<RunId> = app.engine.in_flight.lock().expect("in-flight lock").iter().copied().collect();
        if !running.is_empty()
            && let Err(error) = app.store.heartbeat(running, LEASE).await
        {
            tracing::error!(error = %format!("{error:#}"), "renewing leases failed");
        }
        match app.store.maintain().await {
            Ok(()) => app.engine.queued(),
            Err(error) => tracing::error!(error = %format!("{error:#}"), "inbox maintenance failed"),
        }
    }
}

/// Stops starting runs and waits up to `timeout` for those executing; the ones still running
/// then go back to the inbox for the next start.
pub(crate) async fn drain<C: Config>(app: &App<C>, timeout: Duration) {
    app.engine.stop();
    let all_slots = app.engine.slots.acquire_many(app.engine.workers as u32);
    if tokio::time::timeout(timeout, all_slots).await.is_ok() {
        return;
    }
    let unfinished: Vec<RunId> = app.engine.in_flight.lock().expect("in-flight lock").iter().copied().collect();
    tracing::warn!(runs = unfinished.len(), "runs still executing at the drain timeout go back to the inbox");
    if let Err(error) = app.store.release(unfinished).await {
        tracing::error!(error = %format!("{error:#}"), "returning unfinished runs to the inbox failed; they resume when their lease ends");
    }
}
