//! `GET /runs/{id}`: where a run is, for whoever holds its id; a sync run's answer, for whoever
//! holds its status URL's token.

use super::Endpoints;
use super::sync::answer_response;
use super::webhook::unavailable;
use crate::engine::Answer;
use crate::model::{Config, RunId, RunStatus, Trigger};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

#[derive(Deserialize)]
pub(super) struct StatusQuery {
    token: Option<String>,
}

/// The run's status, attempts and times, and nothing else: run ids are easy to guess, so the
/// flow, the customer instance, the input and the output stay with the operator (`runs show`).
/// A sync run is answered only with its token: then with its reply once it has one (`202`
/// with its status until then), as its caller would have been.
pub(super) async fn run_status<C: Config>(
    State(endpoints): State<Arc<Endpoints<C>>>,
    Path(id): Path<String>,
    Query(query): Query<StatusQuery>,
) -> Response {
    let Ok(id) = id.parse::<RunId>() else {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": format!("`{id}` is not a run id") }))).into_response();
    };
    let no_such_run =
        || (StatusCode::NOT_FOUND, Json(json!({ "error": format!("there is no run {id}") }))).into_response();
    let run = match endpoints.store.run(id).await {
        Ok(Some(run)) => run,
        Ok(None) => return no_such_run(),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "reading a run failed");
            return unavailable("the store cannot be read right now; try again shortly");
        }
    };
    let sync = endpoints
        .engine
        .flows()
        .named(&run.summary.flow)
        .is_some_and(|flow| matches!(flow.trigger, Trigger::Sync { .. }));
    let token = query.token.as_deref().map(|token| endpoints.instances.is_run_token(id, token));
    // A wrong token, or none for a run that has one, finds nothing: which ids exist stays unknown.
    if token == Some(false) || (sync && token.is_none()) {
        return no_such_run();
    }
    let summary = run.summary;
    match summary.status {
        RunStatus::Succeeded if sync => answer_response(id, Answer::Finished(run.output)),
        RunStatus::Dead if sync => answer_response(id, Answer::Failed(run.error.unwrap_or_default())),
        status => {
            let body = json!({
                "id": summary.id,
                "status": status,
                "attempts": summary.attempts,
                "created_at": summary.created_at,
                "finished_at": summary.finished_at,
            });
            let code = if sync { StatusCode::ACCEPTED } else { StatusCode::OK };
            (code, Json(body)).into_response()
        }
    }
}

/// 200 while the server takes deliveries, 503 once it is shutting down.
pub(super) async fn ready<C: Config>(State(endpoints): State<Arc<Endpoints<C>>>) -> Response {
    if endpoints.engine.is_stopping() { unavailable("shutting down") } else { "ready".into_response() }
}
