//! An endpoint: accept a delivery into the inbox, or refuse it with a reason.

use super::Endpoints;
use super::body::{Unread, forget_credentials, read_body};
use super::handshake;
use super::status::status_url;
use crate::engine::{Admitted, Execution, NewRun, Routed};
use crate::model::{Cause, Config, Dedupe, FlowDescriptor, Rejection, Request, Result};
use crate::verify::verify;
use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use serde_json::json;
use std::sync::Arc;

/// Handles a request to `/hooks/{instance}{path}` for `endpoint`: a webhook flow, or a
/// pre-process flow that hands each delivery to the event flow that takes it.
pub(super) async fn receive<C: Config>(
    endpoints: Arc<Endpoints<C>>,
    endpoint: &'static FlowDescriptor<C>,
    instance: String,
    request: axum::extract::Request,
) -> Response {
    let request = match read_delivery(&endpoints, endpoint, &instance, request).await {
        Ok((_, request)) => Arc::new(request),
        Err(refused) => return refused,
    };
    let engine = &endpoints.engine;
    // A delivery id is the sender's, so it is remembered for the endpoint the sender addressed,
    // whichever flow takes the delivery.
    let dedupe = match endpoint.policy.dedupe.map(|key| key.read_delivery_id(&request)).transpose() {
        Ok(key) => key.map(|key| Dedupe { scope: endpoint.name, key, window: endpoint.policy.dedupe_window }),
        Err(rejection) => return refuse(endpoint, &instance, &rejection),
    };
    let new_run = match engine.router().route(endpoint, &request) {
        Routed::To(flow) => match flow.check(&request) {
            Ok(()) => NewRun::new(flow, instance.clone(), Cause::Webhook, request),
            Err(rejection) => return refuse(flow, &instance, &rejection),
        },
        Routed::Unhandled { event, reject: false } => NewRun::new(endpoint, instance.clone(), Cause::Webhook, request)
            .executed_by(Execution::Ignored(format!("no flow takes the `{event}` event"))),
        Routed::Unhandled { event, reject: true } => {
            let message = format!("no flow takes the `{event}` event at this endpoint");
            return refuse(endpoint, &instance, &Rejection::new(StatusCode::NOT_FOUND, message));
        }
        Routed::Refused(rejection) => return refuse(endpoint, &instance, &rejection),
    };
    answer(&endpoints, engine.admit(new_run.deduped(dedupe).refused_when_busy()).await, &instance)
}

/// A request to an endpoint as the endpoint takes it — the instance's configuration, and the
/// request read within its limits, its signature verified, a provider's handshake answered,
/// its credentials dropped — or the answer that refuses it.
pub(super) async fn read_delivery<C: Config>(
    endpoints: &Endpoints<C>,
    endpoint: &'static FlowDescriptor<C>,
    instance: &str,
    request: axum::extract::Request,
) -> std::result::Result<(Arc<C>, Request), Response> {
    if endpoints.engine.is_stopping() {
        return Err(unavailable("the server is shutting down; try again shortly"));
    }
    let config = match endpoints.instances.config(instance).await {
        Ok(Some(config)) => config,
        Ok(None) => return Err(unknown_instance(instance)),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "looking up an instance failed");
            return Err(unavailable("the store cannot be read right now; try again shortly"));
        }
    };
    let (parts, body) = request.into_parts();
    if let Some(handshake) = &endpoint.handshake
        && parts.method == http::Method::GET
    {
        return Err(handshake::answer_get(handshake, config.as_ref(), parts.uri.query())
            .unwrap_or_else(|| StatusCode::METHOD_NOT_ALLOWED.into_response()));
    }
    let limit = endpoint.policy.max_body;
    let body = match read_body(&parts.headers, body, limit, endpoints.body_timeout).await {
        Ok(body) => body,
        Err(Unread::TooLarge) => {
            let message = format!("the body is larger than this endpoint's limit of {limit} bytes");
            return Err(refuse(endpoint, instance, &Rejection::new(StatusCode::PAYLOAD_TOO_LARGE, message)));
        }
        Err(Unread::TimedOut) => {
            let timeout = humantime::format_duration(endpoints.body_timeout);
            let message = format!("the body did not arrive within {timeout}; nothing was stored");
            let mut response = refuse(endpoint, instance, &Rejection::new(StatusCode::REQUEST_TIMEOUT, message));
            // The rest of the body may still be on its way, so the connection cannot take another request.
            response.headers_mut().insert(header::CONNECTION, http::HeaderValue::from_static("close"));
            return Err(response);
        }
        // The sender went away mid-body: nothing to refuse, no one to tell.
        Err(Unread::Broken(reason)) => {
            tracing::debug!(instance, flow = endpoint.name, reason, "a delivery's body broke off");
            return Err((StatusCode::BAD_REQUEST, Json(json!({ "error": "the body broke off" }))).into_response());
        }
    };
    let mut request = Request::new(parts.uri.query(), parts.headers, body).with_method(parts.method);
    if let Some(verifier) = &endpoint.verify
        && let Err(failure) = verify(verifier, &config, &request)
    {
        // The reason names what was wrong, never a secret or the signature expected.
        tracing::warn!(instance, flow = endpoint.name, reason = %failure, "refused a delivery whose signature does not verify");
        let body = Json(json!({ "error": format!("the signature does not verify: {failure}") }));
        return Err((StatusCode::UNAUTHORIZED, body).into_response());
    }
    if let Some(handshake) = &endpoint.handshake
        && let Some(answer) =
            handshake::answer_post(handshake, &endpoints.handshakes, request.headers(), request.body()).await
    {
        return Err(answer);
    }
    forget_credentials(request.headers_mut());
    Ok((config, request))
}

/// The sender's answer to an admitted delivery: its run and the URL of the run's status. A
/// repeated delivery gets the same `202` as its first, with the first run's id: to the
/// sender, both are accepted.
fn answer<C: Config>(endpoints: &Endpoints<C>, admitted: Result<Admitted>, instance: &str) -> Response {
    let accepted = |run_id, mut body: serde_json::Value| {
        body["run_id"] = json!(run_id);
        body["status_url"] = json!(status_url(endpoints, run_id));
        (StatusCode::ACCEPTED, Json(body)).into_response()
    };
    match admitted {
        Ok(Admitted::Accepted(run_id)) => accepted(run_id, json!({})),
        Ok(Admitted::Ignored(run_id)) => accepted(run_id, json!({ "ignored": true })),
        Ok(Admitted::Duplicate(run_id)) => accepted(run_id, json!({ "duplicate": true })),
        Ok(Admitted::InstanceInactive) => unknown_instance(instance),
        Ok(Admitted::Busy) => unavailable("the inbox is full; try again shortly"),
        Ok(other) => {
            tracing::error!(?other, "a delivery was admitted as no delivery is");
            unavailable("the inbox cannot take deliveries right now; try again shortly")
        }
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "could not store a delivery");
            unavailable("the inbox cannot take deliveries right now; try again shortly")
        }
    }
}

/// Refuses a delivery that cannot be taken as it is, telling the sender why, and logs it: a
/// sender whose deliveries are all refused is something the operator must see.
pub(super) fn refuse<C>(flow: &FlowDescriptor<C>, instance: &str, rejection: &Rejection) -> Response {
    tracing::warn!(instance, flow = flow.name, status = rejection.status().as_u16(), reason = %rejection, "refused a delivery");
    (rejection.status(), Json(rejection)).into_response()
}

pub(super) fn unknown_instance(instance: &str) -> Response {
    let message = format!("there is no active instance `{instance}`");
    (StatusCode::NOT_FOUND, Json(json!({ "error": message }))).into_response()
}

/// 503 with `Retry-After`: nothing was stored, and the sender should try again.
pub(super) fn unavailable(message: &str) -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "1")], Json(json!({ "error": message }))).into_response()
}

/// The answer to every path that no flow serves.
pub(super) async fn not_found(uri: http::Uri) -> Response {
    let message = format!("nothing is served at {}", uri.path());
    (StatusCode::NOT_FOUND, Json(json!({ "error": message }))).into_response()
}
