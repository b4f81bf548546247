//! An AMQP (RabbitMQ) source: a durable queue per instance, each delivery acknowledged once its
//! run is committed, at most [`IN_FLIGHT`] unacknowledged at a time.

use super::Inlet;
use crate::model::{Config, Error, Request, Result};
use futures::TryStreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};

const IN_FLIGHT: u16 = 256;

pub(super) async fn consume<C: Config>(inlet: &Inlet<C>, queue: &'static str) -> Result<()> {
    let queue = inlet.address(queue);
    let connection = Connection::connect(inlet.url(), ConnectionProperties::default())
        .await
        .map_err(|error| Error::msg(format!("connecting to AMQP failed: {error}")))?;
    let channel = connection.create_channel().await?;
    let durable = QueueDeclareOptions { durable: true, ..Default::default() };
    channel.queue_declare(queue.as_str().into(), durable, FieldTable::default()).await?;
    channel.basic_qos(IN_FLIGHT, BasicQosOptions::default()).await?;
    let consumer = channel
        .basic_consume(
            queue.as_str().into(),
            inlet.consumer_name().into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    inlet.subscribed();
    consumer
        .map_err(Error::from)
        .map_ok(|delivery| {
            let queue = &queue;
            async move {
                // A publisher's message id survives redelivery; without one, a message delivered
                // again after a lost acknowledgement runs again.
                let message_id = delivery.properties.message_id().as_ref().map(|id| format!("amqp:{queue}:{id}"));
                let mut headers = http::HeaderMap::new();
                if let Some(content_type) = delivery.properties.content_type()
                    && let Ok(value) = http::HeaderValue::from_str(content_type.as_str())
                {
                    headers.insert(http::header::CONTENT_TYPE, value);
                }
                inlet.deliver(Request::new(None, headers, delivery.data.clone()), message_id).await?;
                delivery.ack(BasicAckOptions::default()).await.map(drop).map_err(Error::from)
            }
        })
        .try_buffer_unordered(IN_FLIGHT.into())
        .try_for_each(|()| futures::future::ready(Ok(())))
        .await?;
    Err(Error::msg("the AMQP consumer ended"))
}
