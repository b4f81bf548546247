//! Ingress: the HTTP server that takes webhooks into the inbox.

mod extract;
mod request;
mod status;
mod webhook;

pub use extract::{FromRequest, Json, Query, Rejection};
pub use request::Request;

use crate::app::App;
use crate::integration::Config;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use std::sync::Arc;

/// The router: every webhook flow at `/hooks/{instance}{path}`, run status, health checks.
pub(crate) fn router<C: Config>(app: Arc<App<C>>) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(status::ready::<C>))
        .route("/runs/{id}", get(status::run_status::<C>));
    for (flow, path) in app.integration.webhooks() {
        let handler = move |State(app): State<Arc<App<C>>>, Path(instance): Path<String>, request| {
            webhook::receive(app, flow, instance, request)
        };
        router = router.route(&format!("/hooks/{{instance}}{path}"), post(handler));
    }
    router.fallback(webhook::not_found).with_state(app)
}
