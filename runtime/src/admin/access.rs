//! Admin tokens at the door: every admin route needs one, as a bearer token or the
//! dashboard's cookie; a request the cookie signs must also come from the dashboard's script.

use super::Admin;
use super::problem::Problem;
use super::ui;
use crate::ingress::presented;
use crate::model::Config;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, StatusCode, header};
use std::sync::Arc;

/// The header the dashboard's script sends and a form on another site cannot.
const FROM_DASHBOARD: &str = "x-requested-with";

pub(super) async fn require_admin<C: Config>(
    State(admin): State<Arc<Admin<C>>>,
    request: Request,
    next: Next,
) -> Response {
    let presented = presented(request.headers());
    let holder = match &presented {
        Some(presented) => match admin.tokens.holder(presented.token).await {
            Ok(holder) => holder,
            Err(error) => return Problem::from(error).into_response(),
        },
        None => None,
    };
    let Some(holder) = holder else {
        return refused(&request);
    };
    let reads = matches!(*request.method(), Method::GET | Method::HEAD);
    let by_cookie = presented.is_some_and(|presented| presented.by_cookie);
    if by_cookie && !reads && request.headers().get(FROM_DASHBOARD) != Some(&HeaderValue::from_static("aqueduct")) {
        let message = "a change signed by the dashboard's cookie must come from the dashboard \
                       (`X-Requested-With: aqueduct`); scripts use `Authorization: Bearer …`";
        return Problem::new(StatusCode::FORBIDDEN, message).into_response();
    }
    if !reads {
        // Who changed what, for whoever later asks.
        tracing::info!(token = holder, method = %request.method(), path = request.uri().path(), "admin change");
    }
    next.run(request).await
}

/// `401`: the dashboard's pages answer with the sign-in form, the API with what to send.
fn refused(request: &Request) -> Response {
    if request.uri().path() == "/admin/ui" {
        return ui::sign_in(StatusCode::UNAUTHORIZED);
    }
    let message = "the admin API needs an admin token: send `Authorization: Bearer TOKEN` (`serve` printed one \
                   at its first start; `admin token create NAME` makes another)";
    let mut response = Problem::new(StatusCode::UNAUTHORIZED, message).into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"aqueduct\""));
    response
}
