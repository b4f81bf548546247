//! Ingress: the HTTP server that takes webhooks into the inbox.

mod extract;
mod handshake;
mod request;
mod status;
mod webhook;

pub use extract::{FromRequest, Json, Query, Rejection};
pub use handshake::Handshake;
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
    for (endpoint, path) in app.integration.webhooks() {
        let handler = move |State(app): State<Arc<App<C>>>, Path(instance): Path<String>, request| {
            webhook::receive(app, endpoint, instance, request)
        };
        // A GET is answered only where a provider's handshake uses one.
        let methods = match endpoint.handshake {
            Some(Handshake::HubChallenge { .. }) => post(handler).get(handler),
            _ => post(handler),
        };
        router = router.route(&format!("/hooks/{{instance}}{path}"), methods);
    }
    router.fallback(webhook::not_found).with_state(app)
}
