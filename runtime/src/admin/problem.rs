//! The admin API's refusals: a status and `{"error": "…"}` that says what was wrong.

use crate::model::Error;
use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::json;

/// A request the admin API could not do.
pub(super) struct Problem {
    status: StatusCode,
    message: String,
}

impl Problem {
    pub(super) fn new(status: StatusCode, message: impl Into<String>) -> Problem {
        Problem { status, message: message.into() }
    }

    pub(super) fn bad_request(message: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, message)
    }

    pub(super) fn not_found(message: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, message)
    }
}

/// An error of the store (or what lies behind it): logged in full, answered `503`.
impl From<Error> for Problem {
    fn from(error: Error) -> Problem {
        tracing::error!(error = %format!("{error:#}"), "an admin request failed");
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "the store cannot be reached right now; try again shortly")
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}
