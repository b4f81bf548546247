//! A NATS JetStream source: a durable pull consumer per instance, acknowledging each message
//! once its run is committed.
//!
//! The ack wait is short ([`ACK_WAIT`]), so the messages a crashed server had received but not
//! committed come back soon after it restarts; a commit that takes longer keeps its message
//! with progress acknowledgements, so it is not delivered a second time meanwhile.

use super::{Inlet, RECONNECT_AT_MOST};
use crate::model::{Config, Error, Request, Result};
use async_nats::jetstream::{self, AckKind, consumer::AckPolicy, consumer::pull};
use futures::TryStreamExt;
use std::time::Duration;

/// Messages handed to the inbox at once; group commit writes them together.
const IN_FLIGHT: usize = 256;
/// How long the server waits for a delivered message's acknowledgement before delivering it
/// again: about how long a crashed server's uncommitted messages take to come back.
const ACK_WAIT: Duration = Duration::from_secs(3);
/// How often a message whose commit is still pending tells the server it is being handled; a
/// third of the ack wait leaves room for one progress acknowledgement to be late.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

pub(super) async fn consume<C: Config>(inlet: &Inlet<C>, subject: &'static str, stream: &'static str) -> Result<()> {
    // The client reconnects by itself when the server goes away (and the pull stream asks again
    // once it is back); its own default waits up to 4 s between attempts.
    let client = async_nats::ConnectOptions::new()
        .reconnect_delay_callback(|attempts| {
            Duration::from_millis(100)
                .saturating_mul(u32::try_from(attempts).unwrap_or(u32::MAX))
                .min(RECONNECT_AT_MOST)
        })
        .connect(inlet.url())
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
        ack_wait: ACK_WAIT,
        // No more delivered and unacknowledged than are being handed over (and kept alive by
        // progress acknowledgements): none waits unseen in a buffer while its ack wait runs out.
        max_ack_pending: IN_FLIGHT as i64,
        ..Default::default()
    };
    // Created, or updated to this configuration: a consumer created by an earlier version keeps
    // its config (a 30 s ack wait, once) otherwise. One the server will not update as asked
    // (its subject changed, on a server before 2.10) is used as it is.
    let consumer = match stream.create_consumer(consumer_config.clone()).await {
        Ok(consumer) => consumer,
        Err(error) => {
            tracing::warn!(consumer = name, error = %error, "the consumer could not be updated; using it as it is");
            stream.get_or_create_consumer(&name, consumer_config).await?
        }
    };
    let consumer: pull::Stream =
        consumer.stream().max_messages_per_batch(IN_FLIGHT).heartbeat(Duration::from_secs(5)).messages().await?;
    inlet.subscribed();
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
            let request = Request::new(None, headers, message.payload.clone());
            let published = jiff::Timestamp::from_nanosecond(info.published.unix_timestamp_nanos()).ok();
            in_progress(&message, inlet.deliver_published(request, Some(message_id), published)).await?;
            message.ack().await.map_err(|error| Error::msg(format!("acknowledging a NATS message failed: {error}")))
        })
        .try_buffer_unordered(IN_FLIGHT)
        .try_for_each(|()| futures::future::ready(Ok(())))
        .await?;
    Err(Error::msg("the NATS consumer ended"))
}

/// Awaits `work` on `message`, telling the server every [`PROGRESS_EVERY`] that the message is
/// still being handled, so its ack wait does not run out meanwhile.
async fn in_progress<T>(message: &jetstream::Message, work: impl Future<Output = T>) -> T {
    let mut work = std::pin::pin!(work);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = ticks.tick() => {
                // One that fails is followed by another; if none gets through, the message is
                // delivered again, and its message id makes it run once.
                if let Err(error) = message.ack_with(AckKind::Progress).await {
                    tracing::debug!(error = %error, "a progress acknowledgement failed");
                }
            }
        }
    }
}
