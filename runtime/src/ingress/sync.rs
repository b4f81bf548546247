//! A sync flow's endpoint: the caller waits for the flow's answer, up to the flow's `timeout`;
//! past it, the caller is given `202` and the run's status URL, and — if it named a callback
//! URL the instance allows — is called back with the answer.

use super::Endpoints;
use super::status::status_url;
use super::webhook::{read_delivery, refuse, unavailable, unknown_instance};
use crate::engine::{Admitted, Answer, NewRun, callback_of};
use crate::model::{Cause, Config, FlowDescriptor, Rejection, Reply, RunId, Trigger};
use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::oneshot;

/// The header naming the run behind a sync flow's answer.
const RUN_ID_HEADER: &str = "aqueduct-run-id";

/// Handles a request to `/hooks/{instance}{path}` for the sync flow `flow`.
pub(super) async fn call<C: Config>(
    endpoints: Arc<Endpoints<C>>,
    flow: &'static FlowDescriptor<C>,
    instance: String,
    request: axum::extract::Request,
) -> Response {
    let Trigger::Sync { wait, .. } = flow.trigger else { unreachable!("only sync flows are routed here") };
    let (config, request) = match read_delivery(&endpoints, flow, &instance, request).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    if let Err(refused) = callback_of(flow, config.as_ref(), &request) {
        return refuse(flow, &instance, &Rejection::new(StatusCode::BAD_REQUEST, refused));
    }
    if let Err(rejection) = flow.check(&request) {
        return refuse(flow, &instance, &rejection);
    }
    let engine = &endpoints.engine;
    let (waiter, mut answer) = oneshot::channel();
    let new_run = NewRun::new(flow, instance.clone(), Cause::Sync, Arc::new(request)).answered_to(waiter);
    let id = match engine.admit(new_run.refused_when_busy()).await {
        Ok(Admitted::Accepted(id)) => id,
        Ok(Admitted::InstanceInactive) => return unknown_instance(&instance),
        Ok(Admitted::Busy) => return unavailable("the inbox is full; try again shortly"),
        Ok(other) => {
            tracing::error!(?other, "a sync call was admitted as no call is");
            return unavailable("the inbox cannot take calls right now; try again shortly");
        }
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "could not store a sync call");
            return unavailable("the inbox cannot take calls right now; try again shortly");
        }
    };
    let _waiting = engine.waiting(id);
    let answered = match tokio::time::timeout(wait, &mut answer).await {
        Ok(answered) => answered.ok(),
        Err(_) => {
            // An answer sent as the wait ran out is given; after this, the run calls back instead.
            answer.close();
            answer.try_recv().ok()
        }
    };
    match answered {
        Some(answered) => answer_response(id, answered),
        None => pending(&endpoints, id),
    }
}

/// The caller's response to a run's answer.
pub(super) fn answer_response(id: RunId, answer: Answer) -> Response {
    match answer {
        Answer::Replied(reply) => reply_response(id, &reply),
        Answer::Failed(error) => {
            let body = Json(json!({ "error": error, "run_id": id }));
            (StatusCode::INTERNAL_SERVER_ERROR, body).into_response()
        }
        Answer::Finished(output) => match Reply::from_output(output.as_ref()) {
            Ok(reply) => reply_response(id, &reply),
            Err(error) => answer_response(id, Answer::Failed(format!("{error:#}"))),
        },
    }
}

/// The flow's reply as an HTTP response.
pub(super) fn reply_response(id: RunId, reply: &Reply) -> Response {
    match reply.parts() {
        Ok((status, headers, body)) => {
            let mut response = (status, body).into_response();
            response.headers_mut().extend(headers.into_iter().map(|(name, value)| (Some(name), value)));
            // So that support can find the run behind any answer.
            response.headers_mut().insert(RUN_ID_HEADER, http::HeaderValue::from(id.0));
            response
        }
        Err(error) => {
            tracing::error!(run = %id, error = %format!("{error:#}"), "a recorded reply cannot be sent");
            let body = Json(json!({ "error": "the run's reply cannot be sent", "run_id": id }));
            (StatusCode::INTERNAL_SERVER_ERROR, body).into_response()
        }
    }
}

/// `202` with where to fetch the answer: the run's status URL, with the token that lets its
/// holder read it.
fn pending<C: Config>(endpoints: &Endpoints<C>, id: RunId) -> Response {
    let Some(url) = status_url(endpoints, id) else {
        return unavailable("the answer is not ready, and its status URL cannot be made");
    };
    let body = Json(json!({ "run_id": id, "status_url": url }));
    (StatusCode::ACCEPTED, [(header::LOCATION, url)], body).into_response()
}
