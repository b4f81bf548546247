//! Pub/sub sources: for each source flow and each active instance, a durable consumer that
//! acknowledges a message only once its run is committed to the inbox, and reconnects with
//! backoff (at most [`RECONNECT_AT_MOST`] between attempts) when the broker goes away.

#[cfg(feature = "amqp")]
mod amqp;
mod inlet;
#[cfg(feature = "mqtt")]
mod mqtt;
#[cfg(feature = "nats")]
mod nats;

pub(crate) use inlet::Inlet;

use crate::engine::Engine;
use crate::instances::Instances;
use crate::model::{Broker, Config, FlowDescriptor, Trigger};
use backon::BackoffBuilder;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often the set of active instances is compared with the running consumers.
const SUPERVISE_EVERY: Duration = Duration::from_secs(1);
/// The longest wait between two connection attempts, jitter included: a source resumes within
/// about this long (and a connection's setup) of its broker coming back.
const RECONNECT_AT_MOST: Duration = Duration::from_secs(1);

/// The waits between connection attempts: from 100 ms, doubling, jittered, never above
/// [`RECONNECT_AT_MOST`].
fn reconnect_delays() -> impl Iterator<Item = Duration> {
    backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(100))
        // backon's jitter adds up to as much again as the delay, so half the cap keeps it within.
        .with_max_delay(RECONNECT_AT_MOST / 2)
        .with_jitter()
        .without_max_times()
        .build()
}

/// What a source's consumers use.
pub(crate) struct Source<C: 'static> {
    pub engine: Arc<Engine<C>>,
    pub instances: Arc<Instances<C>>,
    /// The integration's name, which names its consumers at the broker.
    pub integration: &'static str,
}

/// Starts a supervisor for each source flow; aborting one stops its consumers.
pub(crate) fn start<C: Config>(source: Source<C>) -> Vec<JoinHandle<()>> {
    let source = Arc::new(source);
    source
        .engine
        .flows()
        .iter()
        .filter_map(|flow| match flow.trigger {
            Trigger::Source { broker } => Some(tokio::spawn(supervise(source.clone(), flow, broker))),
            _ => None,
        })
        .collect()
}

/// One instance's consumer, for one version of its configuration; dropping it stops it. A
/// message being handed over when its consumer stops is not acknowledged: the broker delivers
/// it again.
struct Consumer {
    version: i64,
    task: JoinHandle<()>,
}

impl Drop for Consumer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Keeps one consumer running per active instance, restarted when the instance is configured
/// anew (its broker URL or credentials may have changed).
async fn supervise<C: Config>(source: Arc<Source<C>>, flow: &'static FlowDescriptor<C>, broker: Broker) {
    let mut consumers: HashMap<String, Consumer> = HashMap::new();
    loop {
        // The shared cache takes in what is read here first, so a consumer started for a
        // version reads that version's configuration.
        match source.instances.all().await {
            Ok(instances) => {
                let active: HashMap<String, i64> =
                    instances.into_iter().filter(|i| i.active).map(|i| (i.name, i.version)).collect();
                consumers.retain(|instance, consumer| {
                    let keep = active.get(instance) == Some(&consumer.version) && !consumer.task.is_finished();
                    if !keep {
                        tracing::info!(flow = flow.name, instance, "stopped consuming");
                    }
                    keep
                });
                for (instance, version) in active {
                    consumers.entry(instance.clone()).or_insert_with(|| {
                        tracing::info!(flow = flow.name, instance, version, "consuming");
                        Consumer {
                            version,
                            task: tokio::spawn(consume_forever(source.clone(), flow, broker, instance)),
                        }
                    });
                }
            }
            Err(error) => tracing::warn!(flow = flow.name, error = %format!("{error:#}"), "listing instances failed"),
        }
        tokio::time::sleep(SUPERVISE_EVERY).await;
    }
}

/// Consumes for one instance, reconnecting with exponential backoff after each failure; the
/// backoff starts afresh once a connection got as far as consuming, so a broker that comes back
/// is found again within [`RECONNECT_AT_MOST`], however long it was away.
async fn consume_forever<C: Config>(
    source: Arc<Source<C>>,
    flow: &'static FlowDescriptor<C>,
    broker: Broker,
    instance: String,
) {
    let mut delays = reconnect_delays();
    loop {
        let (failure, subscribed) = match Inlet::open(&source, flow, &instance).await {
            Ok(inlet) => (consume(&inlet, broker).await, inlet.was_subscribed()),
            Err(error) => (Err(error), false),
        };
        if subscribed {
            delays = reconnect_delays();
        }
        let delay = delays.next().unwrap_or(RECONNECT_AT_MOST);
        let error = failure
            .err()
            .map(|error| format!("{error:#}"))
            .unwrap_or_else(|| "the broker ended the subscription".into());
        tracing::warn!(flow = flow.name, instance, error, ?delay, "the source disconnected; reconnecting");
        tokio::time::sleep(delay).await;
    }
}

/// Consumes with the client for `broker`; one whose feature this build leaves off never gets
/// here, since a flow using it does not compile.
async fn consume<C: Config>(inlet: &Inlet<C>, broker: Broker) -> crate::model::Result<()> {
    match broker {
        #[cfg(feature = "nats")]
        Broker::Nats { subject, stream } => nats::consume(inlet, subject, stream).await,
        #[cfg(feature = "amqp")]
        Broker::Amqp { queue } => amqp::consume(inlet, queue).await,
        #[cfg(feature = "mqtt")]
        Broker::Mqtt { topic } => mqtt::consume(inlet, topic).await,
        #[allow(unreachable_patterns)]
        other => Err(crate::model::Error::msg(format!("this build has no client for {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_delays_grow_and_stay_within_the_cap_jitter_included() {
        let delays: Vec<Duration> = reconnect_delays().take(1000).collect();
        assert!(delays[0] < Duration::from_millis(200), "the first attempt comes soon: {:?}", delays[0]);
        assert!(delays.iter().all(|delay| *delay <= RECONNECT_AT_MOST), "a delay above the cap: {delays:?}");
        assert!(delays[10..].iter().all(|delay| *delay >= RECONNECT_AT_MOST / 2), "the backoff did not grow");
    }
}
