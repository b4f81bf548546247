//! `GET /metrics` in Prometheus's text format, and the count of requests to endpoints by
//! what they were answered.

use super::Endpoints;
use crate::model::{Config, telemetry};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header;
use std::sync::Arc;

/// The metrics as Prometheus scrapes them; the queue's depth is counted by the store now
/// (the whole store's: every server sharing it says the same).
pub(super) async fn scrape<C: Config>(State(endpoints): State<Arc<Endpoints<C>>>) -> Response {
    // Without the store, the rest still tells what happened; the depth stays as last counted.
    match endpoints.store.queue_depth().await {
        Ok(depth) => telemetry::queue_depth(depth),
        Err(error) => tracing::error!(error = %format!("{error:#}"), "counting the queued runs failed"),
    }
    let text = telemetry::prometheus().render();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}

/// Counts each request to an endpoint by its path (`/orders` for `/hooks/{instance}/orders`:
/// no instance's name becomes a label) and its answer's status.
pub(super) async fn count_deliveries(request: Request, next: Next) -> Response {
    let endpoint = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|path| path.as_str().strip_prefix("/hooks/{instance}").map(str::to_owned));
    let response = next.run(request).await;
    if let Some(endpoint) = endpoint {
        telemetry::delivery(&endpoint, response.status().as_u16());
    }
    response
}
