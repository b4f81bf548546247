//! Pub/sub sources: for each source flow and each active instance, a durable consumer that
//! acknowledges a message only once its run is committed to the inbox, and reconnects with
//! backoff when the broker goes away.

mod amqp;
mod inlet;
mod mqtt;
mod nats;

pub(crate) use inlet::Inlet;

use crate::app::App;
use crate::flow::{Broker, FlowDescriptor, Trigger};
use crate::integration::Config;
use backon::BackoffBuilder;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// How often the set of active instances is compared with the running consumers.
const SUPERVISE_EVERY: Duration = Duration::from_secs(1);
/// A consumer that ran this long was healthy: its next failure starts the backoff afresh.
const HEALTHY: Duration = Duration::from_secs(60);

/// Starts a supervisor for each source flow.
pub(crate) fn start<C: Config>(app: &Arc<App<C>>) {
    for flow in app.integration.flows() {
        if let Trigger::Source { broker } = flow.trigger {
            tokio::spawn(supervise(app.clone(), flow, broker));
        }
    }
}

/// Keeps one consumer running per active instance, until shutdown.
async fn supervise<C: Config>(app: Arc<App<C>>, flow: &'static FlowDescriptor<C>, broker: Broker) {
    let mut consumers: HashMap<String, JoinHandle<()>> = HashMap::new();
    while !app.engine.is_stopping() {
        match app.store.instances().await {
            Ok(instances) => {
                let active: Vec<String> = instances.into_iter().filter(|i| i.active).map(|i| i.name).collect();
                consumers.retain(|instance, consumer| {
                    let keep = active.contains(instance) && !consumer.is_finished();
                    if !keep {
                        consumer.abort();
                    }
                    keep
                });
                for instance in active {
                    if let std::collections::hash_map::Entry::Vacant(missing) = consumers.entry(instance) {
                        let instance = missing.key().clone();
                        missing.insert(tokio::spawn(consume_forever(app.clone(), flow, broker, instance)));
                    }
                }
            }
            Err(error) => tracing::warn!(flow = flow.name, error = %format!("{error:#}"), "listing instances failed"),
        }
        tokio::time::sleep(SUPERVISE_EVERY).await;
    }
    // A message being handed over when its consumer stops is not acknowledged: the broker
    // delivers it again.
    for consumer in consumers.values() {
        consumer.abort();
    }
}

/// Consumes for one instance, reconnecting with exponential backoff after each failure.
async fn consume_forever<C: Config>(
    app: Arc<App<C>>,
    flow: &'static FlowDescriptor<C>,
    broker: Broker,
    instance: String,
) {
    let fresh_backoff = || {
        backon::ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_secs(10))
            .with_jitter()
            .without_max_times()
            .build()
    };
    let mut delays = fresh_backoff();
    loop {
        let started = Instant::now();
        let failure = match Inlet::open(app.clone(), flow, &instance).await {
            Ok(inlet) => match broker {
                Broker::Nats { subject, stream } => nats::consume(&inlet, subject, stream).await,
                Broker::Amqp { queue } => amqp::consume(&inlet, queue).await,
                Broker::Mqtt { topic, qos } => mqtt::consume(&inlet, topic, qos).await,
            },
            Err(error) => Err(error),
        };
        if app.engine.is_stopping() {
            return;
        }
        if started.elapsed() > HEALTHY {
            delays = fresh_backoff();
        }
        let delay = delays.next().unwrap_or(Duration::from_secs(10));
        let error = failure
            .err()
            .map(|error| format!("{error:#}"))
            .unwrap_or_else(|| "the broker ended the subscription".into());
        tracing::warn!(flow = flow.name, instance, error, ?delay, "the source disconnected; reconnecting");
        tokio::time::sleep(delay).await;
    }
}
