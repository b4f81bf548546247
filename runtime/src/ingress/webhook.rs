//! The webhook endpoint: accept a delivery into the inbox, or refuse it with a reason.

use super::Request;
use crate::app::App;
use crate::flow::{FlowDescriptor, Handler};
use crate::integration::Config;
use crate::store::{Cause, Enqueued, NewRun};
use axum::Json;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, header};
use serde_json::json;
use std::sync::Arc;

/// Bodies larger than this are refused with 413 before they are read whole.
pub(crate) const MAX_BODY: usize = 1024 * 1024;

/// Headers the inbox does not keep: credentials meant for a proxy in front, never for a flow.
const DROPPED_HEADERS: [header::HeaderName; 3] = [header::AUTHORIZATION, header::COOKIE, header::PROXY_AUTHORIZATION];

/// Handles a POST to `/hooks/{instance}{path}` for `flow`.
pub(crate) async fn receive<C: Config>(
    app: Arc<App<C>>,
    flow: &'static FlowDescriptor<C>,
    instance: String,
    request: axum::extract::Request,
) -> Response {
    match app.instances.get(app.store.as_ref(), &instance).await {
        Ok(Some(_)) => {}
        Ok(None) => return unknown_instance(&instance),
        Err(error) => return unavailable(&error),
    }
    let (parts, body) = request.into_parts();
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let request = Request::new(parts.uri.query(), kept_headers(parts.headers), body);
    if let Handler::Event { check, .. } = flow.handler
        && let Err(rejection) = check(&request)
    {
        return (rejection.status(), Json(&rejection)).into_response();
    }
    let new_run =
        NewRun { flow: flow.name.into(), instance: instance.clone(), cause: Cause::Webhook, request, start_now: false };
    match app.store.enqueue(new_run).await {
        Ok(Enqueued::Created(run_id)) => {
            app.new_runs.notify_one();
            (StatusCode::ACCEPTED, Json(json!({ "run_id": run_id }))).into_response()
        }
        Ok(Enqueued::InstanceInactive) => unknown_instance(&instance),
        Err(error) => unavailable(&error),
    }
}

/// Reads the body up to [`MAX_BODY`]; stops reading, and answers 413, past it.
async fn read_body(body: Body) -> Result<bytes::Bytes, Response> {
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        let message = format!("the body is larger than the limit of {MAX_BODY} bytes");
        (StatusCode::PAYLOAD_TOO_LARGE, Json(json!({ "error": message }))).into_response()
    })
}

fn kept_headers(mut headers: HeaderMap) -> HeaderMap {
    for name in DROPPED_HEADERS {
        headers.remove(name);
    }
    headers
}

fn unknown_instance(instance: &str) -> Response {
    let message = format!("there is no active instance `{instance}`");
    (StatusCode::NOT_FOUND, Json(json!({ "error": message }))).into_response()
}

/// The store could not take the delivery; the sender should try again shortly.
fn unavailable(error: &crate::Error) -> Response {
    tracing::error!(error = %format!("{error:#}"), "could not store a delivery");
    let body = Json(json!({ "error": "the inbox cannot take deliveries right now; try again shortly" }));
    (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "1")], body).into_response()
}

/// The answer to every path that no flow serves.
pub(crate) async fn not_found(uri: http::Uri) -> Response {
    let message = format!("nothing is served at {}", uri.path());
    (StatusCode::NOT_FOUND, Json(json!({ "error": message }))).into_response()
}
