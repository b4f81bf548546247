//! `GET /runs/{id}`: where a run is, for whoever holds its id.

use super::Endpoints;
use super::webhook::unavailable;
use crate::model::{Config, RunId};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::json;
use std::sync::Arc;

/// The run's status, attempts and times, and nothing else: run ids are easy to guess, so the
/// flow, the customer instance, the input and the output stay with the operator (`runs show`).
pub(super) async fn run_status<C: Config>(
    State(endpoints): State<Arc<Endpoints<C>>>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<RunId>() else {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": format!("`{id}` is not a run id") }))).into_response();
    };
    match endpoints.store.run(id).await {
        Ok(Some(run)) => {
            let run = run.summary;
            let status = json!({
                "id": run.id,
                "status": run.status,
                "attempts": run.attempts,
                "created_at": run.created_at,
                "finished_at": run.finished_at,
            });
            Json(status).into_response()
        }
        Ok(None) => (StatusCode::NOT_FOUND, Json(json!({ "error": format!("there is no run {id}") }))).into_response(),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "reading a run failed");
            unavailable("the store cannot be read right now; try again shortly")
        }
    }
}

/// 200 while the server takes deliveries, 503 once it is shutting down.
pub(super) async fn ready<C: Config>(State(endpoints): State<Arc<Endpoints<C>>>) -> Response {
    if endpoints.engine.is_stopping() { unavailable("shutting down") } else { "ready".into_response() }
}
