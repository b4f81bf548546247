//! The webhook endpoint: accept a delivery into the inbox, or refuse it with a reason.

use super::{Rejection, Request, handshake};
use crate::app::App;
use crate::engine;
use crate::flow::{FlowDescriptor, Handler, Trigger};
use crate::integration::Config;
use crate::store::{Cause, Dedupe, Enqueued, NewRun, Start, WhenFull};
use axum::Json;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, header};
use serde_json::json;
use std::sync::Arc;

/// Headers the inbox does not keep: credentials, which a flow never needs once the request is
/// verified, and which would otherwise sit in the store.
fn is_credential(name: &header::HeaderName) -> bool {
    let name = name.as_str();
    [header::AUTHORIZATION.as_str(), header::COOKIE.as_str(), header::PROXY_AUTHORIZATION.as_str()].contains(&name)
        || ["token", "secret", "password", "api-key", "apikey"].iter().any(|word| name.contains(word))
}

/// Handles a request to `/hooks/{instance}{path}` for the endpoint `endpoint`: a webhook flow,
/// or a pre-process flow that hands each delivery to the event flow that takes it.
pub(crate) async fn receive<C: Config>(
    app: Arc<App<C>>,
    endpoint: &'static FlowDescriptor<C>,
    instance: String,
    request: axum::extract::Request,
) -> Response {
    if app.engine.is_stopping() {
        return unavailable("the server is shutting down; try again shortly");
    }
    let config = match app.instances.get(app.store.as_ref(), &instance).await {
        Ok(Some(config)) => config,
        Ok(None) => return unknown_instance(&instance),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "looking up an instance failed");
            return unavailable("the store cannot be read right now; try again shortly");
        }
    };
    let (parts, body) = request.into_parts();
    if parts.method == http::Method::GET {
        // Routed here only for endpoints with a GET handshake.
        return endpoint
            .handshake
            .as_ref()
            .and_then(|handshake| handshake::answer_get(handshake, config.as_ref(), parts.uri.query()))
            .unwrap_or_else(|| StatusCode::METHOD_NOT_ALLOWED.into_response());
    }
    let body = match read_body(&parts.headers, body, endpoint.policy.max_body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    if let Some(verifier) = &endpoint.verify {
        let signed = Request::new(parts.uri.query(), parts.headers.clone(), body.clone());
        if let Err(failure) = verifier.verify(&config, &signed) {
            // The reason names what was wrong, never a secret or the signature expected.
            tracing::warn!(instance, flow = endpoint.name, reason = %failure, "refused a delivery whose signature does not verify");
            let body = Json(json!({ "error": format!("the signature does not verify: {failure}") }));
            return (StatusCode::UNAUTHORIZED, body).into_response();
        }
    }
    if let Some(handshake) = &endpoint.handshake
        && let Some(answer) = handshake::answer_post(handshake, &app.handshake_http, &parts.headers, &body).await
    {
        return answer;
    }
    let request = Arc::new(Request::new(parts.uri.query(), kept_headers(parts.headers), body));
    let dedupe = match endpoint.policy.dedupe.map(|key| key.read_delivery_id(&request)).transpose() {
        Ok(key) => key.map(|key| Dedupe { key, window: endpoint.policy.dedupe_window }),
        Err(rejection) => return (rejection.status(), Json(&rejection)).into_response(),
    };
    let flow = match route(&app, endpoint, &request) {
        Routed::To(flow) => flow,
        Routed::Nowhere(event) => return ignore(&app, endpoint, instance, request, dedupe, event).await,
        Routed::Refused(rejection) => return (rejection.status(), Json(&rejection)).into_response(),
    };
    if let Handler::Event { check, .. } = flow.handler
        && let Err(rejection) = check(&request)
    {
        return (rejection.status(), Json(&rejection)).into_response();
    }
    let new_run = NewRun {
        flow: flow.name.into(),
        instance: instance.clone(),
        cause: Cause::Webhook,
        request,
        dedupe,
        start: Start::Queued,
        replay_of: None,
        ordered: flow.policy.ordered,
    };
    match engine::admit(&app, flow, new_run, WhenFull::Refuse).await {
        Ok(Enqueued::Created(run_id)) => (StatusCode::ACCEPTED, Json(json!({ "run_id": run_id }))).into_response(),
        other => answer_unstarted(other, &instance),
    }
}

/// Where a delivery goes.
enum Routed<C: 'static> {
    To(&'static FlowDescriptor<C>),
    /// A pre-process endpoint's event that no event flow takes.
    Nowhere(String),
    /// Nowhere, and the sender is told why.
    Refused(Rejection),
}

/// A webhook's deliveries go to it; a pre-process endpoint's to the event flow its route names.
fn route<C: Config>(app: &App<C>, endpoint: &'static FlowDescriptor<C>, request: &Request) -> Routed<C> {
    let Trigger::Preprocess { route, reject_unhandled, .. } = endpoint.trigger else { return Routed::To(endpoint) };
    let event = match route.read_event(request) {
        Ok(event) => event,
        Err(rejection) => return Routed::Refused(rejection),
    };
    match app.events.get(&(endpoint.name, event.as_str())) {
        Some(flow) => Routed::To(flow),
        None if reject_unhandled => {
            let message = format!("no flow takes the `{event}` event at this endpoint");
            Routed::Refused(Rejection::new(StatusCode::NOT_FOUND, message))
        }
        None => Routed::Nowhere(event),
    }
}

/// Records a delivery no flow takes as an ignored run of its endpoint, so it shows in `runs`;
/// a redelivery of it is a duplicate, as of any other.
async fn ignore<C: Config>(
    app: &App<C>,
    endpoint: &'static FlowDescriptor<C>,
    instance: String,
    request: Arc<Request>,
    dedupe: Option<Dedupe>,
    event: String,
) -> Response {
    let new_run = NewRun {
        flow: endpoint.name.into(),
        instance: instance.clone(),
        cause: Cause::Webhook,
        request,
        dedupe,
        start: Start::Ignored { reason: format!("no flow takes the `{event}` event") },
        replay_of: None,
        ordered: false,
    };
    match app.store.enqueue(new_run, WhenFull::Refuse).await {
        Ok(Enqueued::Created(run_id)) => {
            (StatusCode::ACCEPTED, Json(json!({ "run_id": run_id, "ignored": true }))).into_response()
        }
        other => answer_unstarted(other, &instance),
    }
}

/// The answer to an enqueue that started no new run.
fn answer_unstarted(enqueued: crate::Result<Enqueued>, instance: &str) -> Response {
    match enqueued {
        Ok(Enqueued::Duplicate(run_id)) => {
            (StatusCode::OK, Json(json!({ "run_id": run_id, "duplicate": true }))).into_response()
        }
        Ok(Enqueued::InstanceInactive) => unknown_instance(instance),
        Ok(Enqueued::Busy) => unavailable("the inbox is full; try again shortly"),
        Ok(Enqueued::Created(_)) => unreachable!("a created run is answered by the caller"),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "could not store a delivery");
            unavailable("the inbox cannot take deliveries right now; try again shortly")
        }
    }
}

/// Reads the body up to `limit` bytes; answers 413 past it, without reading it all.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<bytes::Bytes, Response> {
    let too_large = || {
        let message = format!("the body is larger than this endpoint's limit of {limit} bytes");
        (StatusCode::PAYLOAD_TOO_LARGE, Json(json!({ "error": message }))).into_response()
    };
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|_| too_large())
}

fn kept_headers(mut headers: HeaderMap) -> HeaderMap {
    let credentials: Vec<header::HeaderName> = headers.keys().filter(|name| is_credential(name)).cloned().collect();
    for name in credentials {
        headers.remove(name);
    }
    headers
}

fn unknown_instance(instance: &str) -> Response {
    let message = format!("there is no active instance `{instance}`");
    (StatusCode::NOT_FOUND, Json(json!({ "error": message }))).into_response()
}

/// 503 with `Retry-After`: nothing was stored, and the sender should try again.
pub(crate) fn unavailable(message: &str) -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "1")], Json(json!({ "error": message }))).into_response()
}

/// The answer to every path that no flow serves.
pub(crate) async fn not_found(uri: http::Uri) -> Response {
    let message = format!("nothing is served at {}", uri.path());
    (StatusCode::NOT_FOUND, Json(json!({ "error": message }))).into_response()
}
