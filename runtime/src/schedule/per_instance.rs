//! Flows whose cron is in the configuration (`schedule = config(field)`): one ticker per
//! active instance, started, replaced or stopped as instances are activated, re-configured
//! or deactivated (seen within a second, as the instance cache is refreshed).

use super::{Handles, Ticker};
use crate::model::{Config, FlowDescriptor, Schedule};
use std::collections::HashMap;
use std::time::Duration;
use tokio::task::AbortHandle;

/// How often the instances are looked at for a new, changed or retired cron.
const LOOK: Duration = Duration::from_secs(1);

/// A ticker that stops when let go of: when its cron changes, its instance goes, or the
/// supervisor is stopped with the server.
struct Ticking(AbortHandle);

impl Drop for Ticking {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Keeps one ticker per active instance with a cron, on that cron, until stopped.
pub(super) async fn supervise<C: Config>(handles: Handles<C>, flow: &'static FlowDescriptor<C>) {
    // Each instance's ticker, with the cron it ticks on.
    let mut tickers: HashMap<String, (String, Ticking)> = HashMap::new();
    loop {
        let wanted = match crons(&handles, flow).await {
            Ok(wanted) => wanted,
            Err(error) => {
                tracing::error!(flow = flow.name, error = %format!("{error:#}"), "reading the instances' schedules failed");
                tokio::time::sleep(LOOK).await;
                continue;
            }
        };
        tickers.retain(|instance, (cron, _)| wanted.get(instance).is_some_and(|(wanted, _)| wanted == cron));
        for (instance, (cron, schedule)) in wanted {
            if let std::collections::hash_map::Entry::Vacant(vacant) = tickers.entry(instance) {
                let only = Some(vacant.key().clone());
                let ticker = Ticker { handles: handles.clone(), flow, schedule, only };
                vacant.insert((cron, Ticking(tokio::spawn(ticker.run()).abort_handle())));
            }
        }
        tokio::time::sleep(LOOK).await;
    }
}

/// Each active instance's cron, as written and parsed; an instance whose cron does not parse
/// (stored before it was checked) is left out and logged.
async fn crons<C: Config>(
    handles: &Handles<C>,
    flow: &'static FlowDescriptor<C>,
) -> crate::model::Result<HashMap<String, (String, Schedule)>> {
    let mut crons = HashMap::new();
    for instance in handles.instances.active().await? {
        let Some(config) = handles.instances.config(&instance).await? else { continue };
        match Schedule::of(flow, &config) {
            Ok(Some(schedule)) => {
                let written = flow.from_config.and_then(|read| read(&config)).unwrap_or_default();
                crons.insert(instance, (written, schedule));
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(flow = flow.name, instance, %error, "the instance is not scheduled"),
        }
    }
    Ok(crons)
}
