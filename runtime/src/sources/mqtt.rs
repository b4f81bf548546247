//! An MQTT source: a persistent session per instance (the broker keeps unacknowledged QoS 1
//! messages while it is away), each message acknowledged, in order, once its run is committed.

use super::Inlet;
use crate::model::{Config, Error, Request, Result};
use futures::StreamExt;
use futures::stream::FuturesOrdered;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::time::Duration;
use url::Url;

/// Room for requests (acknowledgements) to the event loop.
const REQUEST_CAPACITY: usize = 512;

pub(super) async fn consume<C: Config>(inlet: &Inlet<C>, topic: &'static str) -> Result<()> {
    let url = Url::parse(inlet.url()).map_err(|error| Error::msg(format!("the MQTT URL is not a URL: {error}")))?;
    // Refused rather than connected in plain text, which would send the credentials in the clear.
    if !matches!(url.scheme(), "mqtt" | "tcp") {
        return Err(Error::msg(format!(
            "the MQTT URL's scheme is `{}`; only `mqtt://` (plain TCP) is supported, so far",
            url.scheme()
        )));
    }
    let host = url.host_str().unwrap_or("127.0.0.1").to_owned();
    let mut options = MqttOptions::new(inlet.consumer_name(), host, url.port().unwrap_or(1883));
    options.set_clean_session(false).set_manual_acks(true).set_keep_alive(Duration::from_secs(10));
    if !url.username().is_empty() {
        options.set_credentials(url.username(), url.password().unwrap_or_default());
    }
    let (client, mut events) = AsyncClient::new(options, REQUEST_CAPACITY);
    client
        .subscribe(inlet.address(topic), QoS::AtLeastOnce)
        .await
        .map_err(|error| Error::msg(format!("subscribing failed: {error}")))?;
    // MQTT acknowledges in the order messages arrive, so deliveries finish in that order. The
    // event loop is always polled, or keepalive pings would starve; the broker's in-flight
    // window (unacknowledged messages it sends at once) bounds what waits here.
    let mut delivering = FuturesOrdered::new();
    loop {
        tokio::select! {
            event = events.poll() => {
                let event = event.map_err(|error| Error::msg(format!("the MQTT connection failed: {error}")))?;
                match event {
                    Event::Incoming(Packet::Publish(publish)) => {
                        let request = Request::new(None, http::HeaderMap::new(), publish.payload.clone());
                        delivering.push_back(async move { inlet.deliver(request, None).await.map(|()| publish) });
                    }
                    Event::Incoming(Packet::SubAck(_)) => inlet.subscribed(),
                    _ => {}
                }
            }
            Some(delivered) = delivering.next() => {
                client.ack(&delivered?).await.map_err(|error| Error::msg(format!("acknowledging failed: {error}")))?;
            }
        }
    }
}
