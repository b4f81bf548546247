//! A schedule's tick admitted as a run: by the scheduler, by hand (`Harness::tick`,
//! `Demo::tick`), or at activation (`backfill`).

use super::{Admitted, Engine, NewRun};
use crate::model::{Cause, Config, Dedupe, FlowDescriptor, Overlap, Request, Result, Tick, Trigger};
use std::sync::Arc;
use std::time::Duration;

/// How long a tick is remembered, so it fires once per instance however many processes tick.
const TICK_MEMORY: Duration = Duration::from_secs(24 * 3600);

impl<C: Config> Engine<C> {
    /// Admits the run of `flow` for `instance` at `tick`: once, however often it is fired.
    /// Under `overlap = skip` nothing is admitted while a run of the flow for the instance is
    /// unfinished.
    pub(crate) async fn fire_tick(
        self: &Arc<Self>,
        flow: &'static FlowDescriptor<C>,
        instance: String,
        tick: Tick,
    ) -> Result<Admitted> {
        let dedupe =
            Dedupe { scope: flow.name, key: format!("tick:{}", tick.at.as_millisecond()), window: TICK_MEMORY };
        // The run carries its tick, for `ctx.tick()`.
        let request = Request::new(None, Default::default(), serde_json::to_vec(&tick)?);
        let mut new_run = NewRun::new(flow, instance, Cause::Schedule, Arc::new(request)).deduped(Some(dedupe));
        if matches!(flow.trigger, Trigger::Schedule { overlap: Overlap::Skip, .. }) {
            new_run = new_run.skipped_while_unfinished();
        }
        let admitted = self.admit(new_run).await?;
        if let Admitted::Unfinished(running) = &admitted {
            tracing::info!(flow = flow.name, tick = %tick.at, unfinished = %running, "skipped a tick: the flow's previous run is unfinished (overlap = skip)");
        }
        Ok(admitted)
    }
}
