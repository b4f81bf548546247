//! Where a source hands its messages to the inbox.

use super::Source;
use crate::engine::{Admitted, Engine, NewRun};
use crate::model::{Broker, Cause, Config, Dedupe, Error, FlowDescriptor, Request, Result, Trigger, telemetry};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long a broker's message id is remembered, to run a redelivered message once. A message
/// is redelivered when its acknowledgement was lost, within the broker's ack wait, or when
/// this process was down: a day covers an outage, and keeps the store's memory small.
const REDELIVERY_MEMORY: Duration = Duration::from_secs(24 * 3600);

/// One consumer's way into the inbox: a source flow, for one instance.
pub(crate) struct Inlet<C: 'static> {
    engine: Arc<Engine<C>>,
    /// The integration's name, which names its consumers at the broker.
    integration: &'static str,
    flow: &'static FlowDescriptor<C>,
    instance: String,
    url: String,
    /// Set once the consumer is subscribed: the connection worked, whatever ends it later.
    subscribed_once: AtomicBool,
}

impl<C: Config> Inlet<C> {
    /// For the active instance `instance`; its broker URL is the configuration's (`url =
    /// field`), else the environment's, else the broker on this machine.
    pub(crate) async fn open(source: &Source<C>, flow: &'static FlowDescriptor<C>, instance: &str) -> Result<Inlet<C>> {
        let config = source
            .instances
            .config(instance)
            .await?
            .ok_or_else(|| Error::msg(format!("the instance `{instance}` is not active")))?;
        let Trigger::Source { broker } = flow.trigger else { unreachable!("only sources have inlets") };
        let (variable, default) = match broker {
            Broker::Nats { .. } => ("AQUEDUCT_NATS_URL", "nats://127.0.0.1:4222"),
            Broker::Amqp { .. } => ("AQUEDUCT_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f"),
            Broker::Mqtt { .. } => ("AQUEDUCT_MQTT_URL", "mqtt://127.0.0.1:1883"),
        };
        let url = flow
            .from_config
            .and_then(|read| read(&config))
            .or_else(|| std::env::var(variable).ok())
            .unwrap_or_else(|| default.to_owned());
        Ok(Inlet {
            engine: source.engine.clone(),
            integration: source.integration,
            flow,
            instance: instance.to_owned(),
            url,
            subscribed_once: AtomicBool::new(false),
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Called by a consumer once it is subscribed and messages can flow.
    pub(crate) fn subscribed(&self) {
        if !self.subscribed_once.swap(true, Ordering::Relaxed) {
            tracing::info!(flow = self.flow.name, instance = self.instance.as_str(), "subscribed");
        }
    }

    /// Whether this consumer got as far as [`Inlet::subscribed`].
    pub(crate) fn was_subscribed(&self) -> bool {
        self.subscribed_once.load(Ordering::Relaxed)
    }

    /// `template` with `{instance}` replaced by this instance's name.
    pub(crate) fn address(&self, template: &str) -> String {
        template.replace("{instance}", &self.instance)
    }

    /// A name for this consumer at the broker, the same across restarts, so the broker keeps
    /// its place: `aqueduct-{integration}-{flow}-{instance}`.
    pub(crate) fn consumer_name(&self) -> String {
        format!("aqueduct-{}-{}-{}", self.integration, self.flow.name, self.instance)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .collect()
    }

    /// Commits a message as a run; once this returns `Ok`, the message may be acknowledged.
    /// `message_id` (the broker's, stable across redeliveries) makes a redelivered message
    /// run once. A payload the flow cannot read is still stored: its run goes dead, and can
    /// be replayed once the flow is fixed, so no message is dropped.
    pub(crate) async fn deliver(&self, request: Request, message_id: Option<String>) -> Result<()> {
        self.deliver_published(request, message_id, None).await
    }

    /// As [`Inlet::deliver`], for a message the broker says it took at `published`: how far
    /// behind the source is, once the message is stored, goes to `/metrics`.
    pub(crate) async fn deliver_published(
        &self,
        request: Request,
        message_id: Option<String>,
        published: Option<jiff::Timestamp>,
    ) -> Result<()> {
        let dedupe = message_id.map(|key| Dedupe { scope: self.flow.name, key, window: REDELIVERY_MEMORY });
        let new_run = NewRun::new(self.flow, self.instance.clone(), Cause::Message, Arc::new(request)).deduped(dedupe);
        let admitted = self.engine.admit(new_run).await?;
        // A redelivery's lag is that of the message's first run, counted then.
        if let (Admitted::Accepted(_), Some(published)) = (&admitted, published)
            && let Ok(lag) = jiff::Timestamp::now().duration_since(published).try_into()
        {
            telemetry::source_lag(self.flow.name, lag);
        }
        match admitted {
            Admitted::Accepted(_) | Admitted::Duplicate(_) => Ok(()),
            Admitted::InstanceInactive => {
                Err(Error::msg(format!("the instance `{}` is no longer active", self.instance)))
            }
            other => Err(Error::msg(format!("a message was admitted as no message is: {other:?}"))),
        }
    }
}
