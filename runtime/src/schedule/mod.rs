//! The scheduler: each schedule flow fires once per tick for every active instance.

mod cron;

pub(crate) use cron::Schedule;

use crate::engine::{Admitted, Engine, NewRun};
use crate::instances::Instances;
use crate::model::{Cause, Config, Dedupe, FlowDescriptor, Request, Trigger};
use std::sync::Arc;
use std::time::Duration;

/// How long a tick is remembered, so it fires once per instance however many processes tick.
const TICK_MEMORY: Duration = Duration::from_secs(24 * 3600);

/// Starts one ticking task per schedule flow.
pub(crate) fn start<C: Config>(engine: &Arc<Engine<C>>, instances: &Arc<Instances<C>>) -> crate::model::Result<()> {
    for flow in engine.flows().iter() {
        if let Trigger::Schedule { cron, tz } = flow.trigger {
            let schedule = Schedule::parse(cron, tz)?;
            tokio::spawn(tick(engine.clone(), instances.clone(), flow, schedule));
        }
    }
    Ok(())
}

/// Sleeps until each fire time and admits that tick's run for every active instance. Each is
/// deduplicated by (flow, instance, tick), so a tick fires once per instance.
async fn tick<C: Config>(
    engine: Arc<Engine<C>>,
    instances: Arc<Instances<C>>,
    flow: &'static FlowDescriptor<C>,
    schedule: Schedule,
) {
    let mut cursor = jiff::Timestamp::now();
    loop {
        let next = match schedule.next_after(cursor) {
            Ok(next) => next.timestamp(),
            Err(error) => {
                tracing::error!(flow = flow.name, %error, "the schedule stopped");
                return;
            }
        };
        let wait = jiff::Timestamp::now().duration_until(next);
        tokio::time::sleep(Duration::try_from(wait).unwrap_or_default()).await;
        match instances.active().await {
            Ok(active) => {
                let admissions = active.into_iter().map(|instance| {
                    let engine = &engine;
                    async move {
                        if let Err(error) = fire(engine, flow, instance, next).await {
                            tracing::error!(flow = flow.name, tick = %next, error = %format!("{error:#}"), "recording a tick failed");
                        }
                    }
                });
                // Admitted together, so the store commits them in one go.
                futures::future::join_all(admissions).await;
            }
            Err(error) => {
                tracing::error!(flow = flow.name, tick = %next, %error, "listing the instances to tick failed")
            }
        }
        // Never fire a tick twice, and skip ticks missed while the process was asleep.
        cursor = next.max(jiff::Timestamp::now());
    }
}

/// Admits the run of `flow` for `instance` at the tick `at`: once, however often it is fired.
pub(crate) async fn fire<C: Config>(
    engine: &Arc<Engine<C>>,
    flow: &'static FlowDescriptor<C>,
    instance: String,
    at: jiff::Timestamp,
) -> crate::model::Result<Admitted> {
    let dedupe = Dedupe { scope: flow.name, key: format!("tick:{}", at.as_millisecond()), window: TICK_MEMORY };
    let new_run = NewRun::new(flow, instance, Cause::Schedule, Arc::new(Request::default()));
    engine.admit(new_run.deduped(Some(dedupe))).await
}
