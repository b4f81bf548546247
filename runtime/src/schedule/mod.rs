//! The scheduler: each schedule flow fires once per tick for every active instance it is not
//! paused for; a flow whose cron is in the configuration ticks for each instance on its own
//! (`per_instance.rs`). What a tick does while the instance's previous run is unfinished is
//! the flow's `overlap`; ticks missed while no process ran are run as one at start
//! (`catch_up.rs`); each instance's tick may be delayed by up to the flow's `jitter`
//! (`jitter.rs`).

mod catch_up;
mod jitter;
mod per_instance;

pub(crate) use jitter::delay as jitter_delay;

use crate::engine::{Admitted, Engine};
use crate::instances::Instances;
use crate::model::{Config, Cron, FlowDescriptor, Result, Schedule, Tick, Trigger, telemetry};
use crate::store::Store;
use jiff::Timestamp;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

/// How long before a tick the instances it fires for are read, so that its runs are admitted
/// the moment it is due (reading them took a millisecond or two of each run's lateness).
const READ_AHEAD: Duration = Duration::from_millis(50);

/// Starts one ticking task per schedule flow, each catching up first if its flow says so.
pub(crate) fn start<C: Config>(
    engine: &Arc<Engine<C>>,
    instances: &Arc<Instances<C>>,
    store: &Arc<dyn Store>,
) -> Result<Schedules> {
    let mut tickers = Vec::new();
    for flow in engine.flows().iter() {
        let handles = Handles { engine: engine.clone(), instances: instances.clone(), store: store.clone() };
        match flow.trigger {
            Trigger::Schedule { cron: Cron::Written(cron), tz, .. } => {
                let ticker = Ticker { handles, flow, schedule: Schedule::parse(cron, tz)?, only: None };
                tickers.push(tokio::spawn(ticker.run()));
            }
            Trigger::Schedule { cron: Cron::Config(_), .. } => {
                tickers.push(tokio::spawn(per_instance::supervise(handles, flow)));
            }
            _ => {}
        }
    }
    Ok(Schedules(tickers))
}

/// The ticking tasks, until the server stops them: a server stopped in a process that goes on
/// (a test's, a benchmark's) must not tick on into a closed store.
#[derive(Default)]
pub(crate) struct Schedules(Vec<tokio::task::JoinHandle<()>>);

impl Schedules {
    /// Stops ticking; a tick being admitted is cut short, as a process stopping would.
    pub(crate) async fn stop(self) {
        for ticker in self.0 {
            ticker.abort();
            let _ = ticker.await;
        }
    }
}

/// What a ticker uses.
struct Handles<C: 'static> {
    engine: Arc<Engine<C>>,
    instances: Arc<Instances<C>>,
    store: Arc<dyn Store>,
}

impl<C> Clone for Handles<C> {
    fn clone(&self) -> Self {
        Handles { engine: self.engine.clone(), instances: self.instances.clone(), store: self.store.clone() }
    }
}

/// One schedule flow's ticks: for every instance, or (`only`) one whose cron is its own.
struct Ticker<C: 'static> {
    handles: Handles<C>,
    flow: &'static FlowDescriptor<C>,
    schedule: Schedule,
    only: Option<String>,
}

impl<C: Config> Ticker<C> {
    /// Catches up, then sleeps until each fire time and fires it.
    async fn run(self) {
        // Admissions waiting out their jitter: they end with the ticker, as it is stopped.
        let mut jittered = JoinSet::new();
        let started = Timestamp::now();
        if let Err(error) = catch_up::run(&self, started, &mut jittered).await {
            tracing::error!(flow = self.flow.name, error = %format!("{error:#}"), "catching up missed ticks failed");
        }
        let mut cursor = started;
        loop {
            let next = match self.schedule.next_after(cursor) {
                Ok(next) => next.timestamp(),
                Err(error) => {
                    tracing::error!(flow = self.flow.name, %error, "the schedule stopped");
                    return;
                }
            };
            let until = |at: Timestamp| Duration::try_from(Timestamp::now().duration_until(at)).unwrap_or_default();
            tokio::time::sleep(until(next).saturating_sub(READ_AHEAD)).await;
            let instances = self.firing_instances().await;
            tokio::time::sleep(until(next)).await;
            self.fire_for_all(Tick::at(next), instances, &mut jittered).await;
            while jittered.try_join_next().is_some() {}
            // Never fire a tick twice, and skip ticks missed while the process was asleep.
            cursor = next.max(Timestamp::now());
        }
    }

    /// Fires `tick` for `instances` (as [`Ticker::firing_instances`] read them), each after its
    /// jitter, then records the tick as passed (so a later start does not catch it up).
    /// Jittered admissions go on in `jittered`, beside the ticker.
    async fn fire_for_all(&self, tick: Tick, instances: Result<Vec<String>>, jittered: &mut JoinSet<()>) {
        let flow = self.flow;
        let instances = match instances {
            Ok(instances) => instances,
            Err(error) => {
                let error = format!("{error:#}");
                return tracing::error!(flow = flow.name, tick = %tick.at, %error, "listing the instances to tick failed");
            }
        };
        let admissions: Vec<_> = instances
            .into_iter()
            .map(|instance| {
                let (engine, tick) = (self.handles.engine.clone(), tick.clone());
                let delay = jitter::delay(flow, &instance, tick.at);
                async move {
                    tokio::time::sleep(delay).await;
                    let at = tick.at;
                    match engine.fire_tick(flow, instance, tick).await {
                        // Late by what it waited past its fire time and jitter; a tick another
                        // server admitted first is that server's to count.
                        Ok(Admitted::Accepted(_)) => {
                            let late = Timestamp::now().duration_since(at).unsigned_abs().saturating_sub(delay);
                            telemetry::tick(flow.name, late);
                        }
                        Ok(_) => {}
                        Err(error) => {
                            tracing::error!(flow = flow.name, tick = %at, error = %format!("{error:#}"), "recording a tick failed");
                        }
                    }
                }
            })
            .collect();
        let (store, key) = (self.handles.store.clone(), self.tick_key());
        let passed = async move {
            // Admitted together, so the store commits them in one go (unless jittered apart).
            futures::future::join_all(admissions).await;
            if let Err(error) = store.record_tick(&key, tick.at.as_millisecond()).await {
                tracing::warn!(flow = flow.name, tick = %tick.at, %error, "recording the tick as passed failed");
            }
        };
        // Jittered admissions wait beside the ticker, which goes on to the next fire time.
        if jitter::of(flow).is_some() {
            jittered.spawn(passed);
        } else {
            passed.await;
        }
    }

    /// The active instances (of those it ticks for) the flow is not paused for.
    pub(super) async fn firing_instances(&self) -> Result<Vec<String>> {
        let paused = self.handles.store.paused().await?;
        let active = self.handles.instances.active().await?;
        Ok(active
            .into_iter()
            .filter(|instance| self.only.as_ref().is_none_or(|only| only == instance))
            .filter(|instance| !paused.iter().any(|paused| paused.covers(self.flow.name, instance)))
            .collect())
    }

    /// Under which name the last tick passed is kept: the flow's, or the flow's for its instance.
    fn tick_key(&self) -> String {
        match &self.only {
            Some(instance) => format!("{}/{instance}", self.flow.name),
            None => self.flow.name.to_owned(),
        }
    }
}
