//! Admission: a new run committed to the inbox, and started at once when a worker is free.

use super::{LEASE, reserve, spawn_run};
use crate::app::App;
use crate::error::Result;
use crate::flow::FlowDescriptor;
use crate::integration::Config;
use crate::store::{ClaimedRun, Enqueued, NewRun, Start, WhenFull};
use std::sync::Arc;

/// Commits `new_run` (its `start` is chosen here) and, when a worker slot is free, executes it
/// at once under a lease; otherwise it waits in the inbox for the claim loop.
///
/// The commit and the start happen on a task of their own: a caller that goes away meanwhile
/// (a client hanging up, a source consumer stopped) must not leave a committed run leased to
/// no one until its lease runs out.
pub(crate) async fn admit<C: Config>(
    app: &Arc<App<C>>,
    flow: &'static FlowDescriptor<C>,
    mut new_run: NewRun,
    when_full: WhenFull,
) -> Result<Enqueued> {
    let app = app.clone();
    let admission = tokio::spawn(async move {
        let slot = reserve(&app, flow);
        new_run.start = if slot.is_some() { Start::Leased(LEASE) } else { Start::Queued };
        let (instance, request) = (new_run.instance.clone(), new_run.request.clone());
        let enqueued = app.store.enqueue(new_run, when_full).await?;
        if let Enqueued::Created(id) = enqueued {
            match slot {
                Some(slot) => {
                    let run = ClaimedRun { id, flow: flow.name.into(), instance, attempt: 1, request };
                    spawn_run(&app, run, slot);
                }
                None => app.engine.queued(),
            }
        }
        Ok(enqueued)
    });
    admission.await.map_err(|panicked| crate::Error::msg(format!("admitting a run failed: {panicked}")))?
}
