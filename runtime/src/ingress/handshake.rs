//! Subscription handshakes: what a provider asks an endpoint to answer before it sends events.

use crate::verify::SecretsOf;
use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use url::Url;

/// A handshake an endpoint answers (`handshake = …`); it stores nothing.
#[doc(hidden)]
pub enum Handshake<C: 'static> {
    /// Slack's `url_verification`: a signed POST whose `challenge` is echoed back.
    Slack,
    /// `GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…` (Meta, Strava, …): the
    /// challenge is echoed back when the token is one the instance's configuration holds.
    HubChallenge { verify_token: SecretsOf<C> },
    /// An Amazon SNS `SubscriptionConfirmation`: its `SubscribeURL` is fetched, if it is HTTPS
    /// on a host ending with `hosts` (plain HTTP is allowed on loopback, for tests).
    Sns { hosts: &'static str },
}

/// Answers a `GET` handshake; `None` when the request is not one.
pub(crate) fn answer_get<C>(handshake: &Handshake<C>, config: &C, query: Option<&str>) -> Option<Response> {
    let Handshake::HubChallenge { verify_token } = handshake else { return None };
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    let find = |key: &str| pairs.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str());
    let (Some("subscribe"), Some(challenge), Some(token)) =
        (find("hub.mode"), find("hub.challenge"), find("hub.verify_token"))
    else {
        return Some(
            (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "expected hub.mode=subscribe, hub.challenge and hub.verify_token" })),
            )
                .into_response(),
        );
    };
    let known =
        verify_token(config).iter().any(|secret| bool::from(secret.expose().as_bytes().ct_eq(token.as_bytes())));
    if known {
        Some(challenge.to_owned().into_response())
    } else {
        tracing::warn!("refused a subscription handshake with a wrong hub.verify_token");
        Some(
            (StatusCode::FORBIDDEN, Json(json!({ "error": "the hub.verify_token is not this instance's" })))
                .into_response(),
        )
    }
}

/// Answers a `POST` handshake; `None` when the request is an ordinary delivery.
pub(crate) async fn answer_post<C>(
    handshake: &Handshake<C>,
    http: &reqwest::Client,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Response> {
    match handshake {
        Handshake::HubChallenge { .. } => None,
        Handshake::Slack => {
            let message: Value = serde_json::from_slice(body).ok()?;
            if message.get("type")?.as_str()? != "url_verification" {
                return None;
            }
            let challenge = message.get("challenge")?.clone();
            Some(Json(json!({ "challenge": challenge })).into_response())
        }
        Handshake::Sns { hosts } => {
            let kind = headers.get("x-amz-sns-message-type")?.to_str().ok()?;
            match kind {
                "SubscriptionConfirmation" => Some(confirm_sns(http, hosts, body).await),
                "UnsubscribeConfirmation" => Some(StatusCode::OK.into_response()),
                _ => None,
            }
        }
    }
}

async fn confirm_sns(http: &reqwest::Client, hosts: &str, body: &[u8]) -> Response {
    let refuse = |status: StatusCode, error: &str| (status, Json(json!({ "error": error }))).into_response();
    let url = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|message| Url::parse(message.get("SubscribeURL")?.as_str()?).ok());
    let Some(url) = url else { return refuse(StatusCode::BAD_REQUEST, "the confirmation has no SubscribeURL") };
    // Fetching a URL a request names is a way into the network behind us: only SNS's own.
    let host = url.host_str().unwrap_or_default().to_owned();
    let loopback = matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]");
    if !host.ends_with(hosts) || (url.scheme() != "https" && !loopback) {
        tracing::warn!(host, "refused to confirm a subscription at a host outside `hosts`");
        return refuse(StatusCode::FORBIDDEN, "the SubscribeURL is not on an allowed host");
    }
    match http.get(url).send().await.and_then(reqwest::Response::error_for_status) {
        Ok(_) => {
            tracing::info!(host, "confirmed a subscription");
            StatusCode::OK.into_response()
        }
        Err(error) => {
            tracing::warn!(error = %error.without_url(), "confirming a subscription failed");
            refuse(StatusCode::BAD_GATEWAY, "confirming the subscription failed; send it again")
        }
    }
}
