//! A request a test sends through the integration's router — a webhook delivery, signed as the
//! endpoint's provider would sign it, or a sync flow's call — and what it is answered.

use super::Harness;
use crate::model::{Config, Error, FlowDescriptor, Result, RunId, Verifier};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde::Serialize;
use std::sync::atomic::Ordering;
use tower::ServiceExt;

/// A delivery to one endpoint of one instance: give it a body and headers, then [`send`](Delivery::send) it.
pub struct Delivery<'h, C: Config> {
    harness: &'h Harness<C>,
    endpoint: &'static FlowDescriptor<C>,
    instance: String,
    path: &'static str,
    method: Method,
    headers: HeaderMap,
    query: Option<String>,
    body: Bytes,
    signed: bool,
}

/// What the endpoint answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// The answer's JSON body (`Null` when it had none, or it is not JSON).
    pub body: serde_json::Value,
    pub headers: HeaderMap,
    /// The body as it came.
    pub bytes: Bytes,
}

impl Answer {
    /// The run the delivery was admitted as (a repeated delivery's first run).
    pub fn run_id(&self) -> Option<RunId> {
        self.body["run_id"].as_i64().map(RunId)
    }

    /// A header's value, if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Reads `response` whole.
    pub(super) async fn read(response: axum::response::Response) -> Result<Answer> {
        let (status, headers) = (response.status().as_u16(), response.headers().clone());
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .map_err(|error| Error::msg(format!("reading the answer failed: {error}")))?;
        Ok(Answer { status, body: serde_json::from_slice(&bytes).unwrap_or_default(), headers, bytes })
    }
}

impl<'h, C: Config> Delivery<'h, C> {
    pub(super) fn new(
        harness: &'h Harness<C>,
        endpoint: &'static FlowDescriptor<C>,
        instance: &str,
        path: &'static str,
        method: Method,
    ) -> Self {
        Delivery {
            harness,
            endpoint,
            instance: instance.to_owned(),
            path,
            method,
            headers: HeaderMap::new(),
            query: None,
            body: Bytes::new(),
            signed: true,
        }
    }

    /// `value` as the JSON body.
    pub fn json(mut self, value: &impl Serialize) -> Self {
        self.body = serde_json::to_vec(value).expect("a value that serializes").into();
        self.header("content-type", "application/json")
    }

    /// These bytes as the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// A header, e.g. the provider's event name or delivery id.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::try_from(name).expect("a header name");
        self.headers.insert(name, HeaderValue::try_from(value).expect("a header value"));
        self
    }

    /// With this query string (without its `?`).
    pub fn query(mut self, query: &str) -> Self {
        self.query = Some(query.to_owned());
        self
    }

    /// Sent as it is, without the signature the endpoint checks: to test a forgery.
    pub fn unsigned(mut self) -> Self {
        self.signed = false;
        self
    }

    /// Sends it; the answer is the endpoint's, as a provider would get it.
    pub async fn send(mut self) -> Result<Answer> {
        if self.signed {
            self.sign().await?;
        }
        let mut request = http::Request::builder()
            .method(self.method)
            .uri(match &self.query {
                Some(query) => format!("/hooks/{}{}?{query}", self.instance, self.path),
                None => format!("/hooks/{}{}", self.instance, self.path),
            })
            .body(axum::body::Body::from(self.body))
            .map_err(|error| Error::msg(format!("cannot build the request: {error}")))?;
        *request.headers_mut() = self.headers;
        let response = self.harness.router.clone().oneshot(request).await.expect("the router answers every request");
        Answer::read(response).await
    }

    /// Signs with the instance's first secret, as the endpoint's `verify = …` scheme says.
    async fn sign(&mut self) -> Result<()> {
        let Some(Verifier::Signed { scheme, secrets }) = &self.endpoint.verify else { return Ok(()) };
        let config = self.harness.server.instances().config(&self.instance).await?.ok_or_else(|| {
            Error::msg(format!("there is no active instance `{}` to sign the delivery for", self.instance))
        })?;
        let Some((_, secret)) = secrets(&config).into_iter().next() else { return Ok(()) };
        let delivery = format!("msg_test_{}", self.harness.deliveries.fetch_add(1, Ordering::Relaxed));
        let now = jiff::Timestamp::now().as_second();
        for (name, value) in crate::verify::sign(*scheme, secret, &self.body, now, &delivery) {
            let name = HeaderName::try_from(name).expect("a scheme's header name");
            self.headers.entry(name).or_insert(HeaderValue::try_from(value).expect("a signature is text"));
        }
        Ok(())
    }
}
