//! The scheduler: each schedule flow fires once per tick for every active instance.

mod cron;

pub(crate) use cron::Schedule;

use crate::app::App;
use crate::flow::{FlowDescriptor, Trigger};
use crate::integration::Config;
use std::sync::Arc;
use std::time::Duration;

/// Starts one ticking task per schedule flow.
pub(crate) fn start<C: Config>(app: &Arc<App<C>>) -> crate::Result<()> {
    for flow in app.integration.flows() {
        if let Trigger::Schedule { cron, tz } = flow.trigger {
            let schedule = Schedule::parse(cron, tz)?;
            tokio::spawn(tick(app.clone(), flow, schedule));
        }
    }
    Ok(())
}

/// Sleeps until each fire time and adds that tick's runs. The store keys runs by
/// (flow, instance, tick), so a tick fires once per instance however many processes tick.
async fn tick<C: Config>(app: Arc<App<C>>, flow: &'static FlowDescriptor<C>, schedule: Schedule) {
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
        match app.store.enqueue_tick(flow.name, flow.policy.ordered, next).await {
            Ok(runs) if !runs.is_empty() => {
                tracing::debug!(flow = flow.name, tick = %next, runs = runs.len(), "schedule fired");
                app.engine.queued();
            }
            Ok(_) => {}
            Err(error) => tracing::error!(flow = flow.name, tick = %next, %error, "recording a tick failed"),
        }
        // Never fire a tick twice, and skip ticks missed while the process was asleep.
        cursor = next.max(jiff::Timestamp::now());
    }
}
