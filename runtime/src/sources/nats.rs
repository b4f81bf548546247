//! A NATS JetStream source: a durable pull consumer per instance, acknowledging each message
//! once its run is committed.

use super::Inlet;
use crate::model::{Config, Error, Request, Result};
use async_nats::jetstream::{self, consumer::AckPolicy, consumer::pull};
use futures::TryStreamExt;
use std::time::Duration;

/// Messages handed to the inbox at once; group commit writes them together.
const IN_FLIGHT: usize = 256;

pub(super) async fn consume<C: Config>(inlet: &Inlet<C>, subject: &'static str, stream: &'static str) -> Result<()> {
    let client = async_nats::connect(inlet.url())
        .await
        .map_err(|error| Error::msg(format!("connecting to NATS failed: {error}")))?;
    let context = jetstream::new(client);
    // One stream for every instance's subject: `{instance}` is one subject token.
    let stream_config = jetstream::stream::Config {
        name: stream.to_owned(),
        subjects: vec![subject.replace("{instance}", "*")],
        ..Default::default()
    };
    let mut stream = context.get_or_create_stream(stream_config).await?;
    // A stream deleted and created again numbers its messages from 1 again: its creation time
    // tells its messages from the old stream's, which a redelivery check must not confuse.
    let created = stream.info().await?.created.unix_timestamp_nanos();
    let name = inlet.consumer_name();
    let consumer_config = pull::Config {
        durable_name: Some(name.clone()),
        filter_subject: inlet.address(subject),
        ack_policy: AckPolicy::Explicit,
        ack_wait: Duration::from_secs(30),
        max_ack_pending: 4 * IN_FLIGHT as i64,
        ..Default::default()
    };
    let consumer: pull::Stream = stream
        .get_or_create_consumer(&name, consumer_config)
        .await?
        .stream()
        .max_messages_per_batch(IN_FLIGHT)
        .heartbeat(Duration::from_secs(5))
        .messages()
        .await?;
    consumer
        .map_err(Error::from)
        .map_ok(|message| async move {
            let info =
                message.info().map_err(|error| Error::msg(format!("a message without JetStream metadata: {error}")))?;
            let message_id = format!("nats:{}@{created}:{}", info.stream, info.stream_sequence);
            let mut headers = http::HeaderMap::new();
            for (name, values) in message.headers.iter().flat_map(|headers| headers.iter()) {
                for value in values {
                    let name: &str = name.as_ref();
                    if let (Ok(name), Ok(value)) =
                        (http::HeaderName::from_bytes(name.as_bytes()), http::HeaderValue::from_str(value.as_str()))
                    {
                        headers.append(name, value);
                    }
                }
            }
            inlet.deliver(Request::new(None, headers, message.payload.clone()), Some(message_id)).await?;
            message.ack().await.map_err(|error| Error::msg(format!("acknowledging a NATS message failed: {error}")))
        })
        .try_buffer_unordered(IN_FLIGHT)
        .try_for_each(|()| futures::future::ready(Ok(())))
        .await?;
    Err(Error::msg("the NATS consumer ended"))
}
