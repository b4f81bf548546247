//! The dashboard: one page and its script and style, compiled into the binary (`ui/`), which
//! read the admin API; signing in sets the cookie that stands for the admin token.

use super::Admin;
use crate::ingress::ADMIN_COOKIE;
use crate::model::Config;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use std::sync::Arc;

const PAGE: &str = include_str!("ui/index.html");
const SCRIPT: &str = include_str!("ui/app.js");
const STYLE: &str = include_str!("ui/style.css");
const SIGN_IN: &str = include_str!("ui/login.html");

/// Nothing but this server's own files runs or loads in the page, and no other site frames it.
const POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'";

fn asset(status: StatusCode, content_type: &'static str, body: &'static str) -> Response {
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_SECURITY_POLICY, POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    (status, headers, body).into_response()
}

pub(super) async fn page() -> Response {
    asset(StatusCode::OK, "text/html; charset=utf-8", PAGE)
}

pub(super) async fn script() -> Response {
    asset(StatusCode::OK, "text/javascript; charset=utf-8", SCRIPT)
}

pub(super) async fn style() -> Response {
    asset(StatusCode::OK, "text/css; charset=utf-8", STYLE)
}

/// The sign-in form, answered to whoever has no valid token.
pub(super) fn sign_in(status: StatusCode) -> Response {
    asset(status, "text/html; charset=utf-8", SIGN_IN)
}

/// `POST /admin/ui/login` with the form's `token`: a valid one is set as the cookie and the
/// browser sent to the dashboard; another gets the form again, `401`.
pub(super) async fn login<C: Config>(State(admin): State<Arc<Admin<C>>>, body: Bytes) -> Response {
    let token = form_urlencoded::parse(&body).find(|(name, _)| name == "token").map(|(_, token)| token.into_owned());
    let holder = match &token {
        Some(token) => admin.tokens.holder(token.trim()).await,
        None => Ok(None),
    };
    match holder {
        Ok(Some(holder)) => {
            tracing::info!(token = holder, "signed in to the dashboard");
            // Secure where the server is reached over https; HttpOnly so no script reads it;
            // Strict so no other site's page sends it.
            let secure = if admin.engine.public_url().scheme() == "https" { "; Secure" } else { "" };
            let token = token.unwrap_or_default();
            let cookie = format!("{ADMIN_COOKIE}={}; Path=/admin; HttpOnly; SameSite=Strict{secure}", token.trim());
            let mut response = redirect_to_dashboard();
            response.headers_mut().insert(header::SET_COOKIE, HeaderValue::try_from(cookie).expect("a token is ASCII"));
            response
        }
        Ok(None) => sign_in(StatusCode::UNAUTHORIZED),
        Err(error) => super::problem::Problem::from(error).into_response(),
    }
}

/// `POST /admin/ui/logout`: forgets the cookie.
pub(super) async fn logout() -> Response {
    let mut response = redirect_to_dashboard();
    let cookie = format!("{ADMIN_COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0");
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::try_from(cookie).expect("ASCII"));
    response
}

fn redirect_to_dashboard() -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, "/admin/ui")]).into_response()
}
