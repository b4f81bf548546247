//! Subscription handshakes: what a provider asks an endpoint to answer before it sends events.

use crate::model::Handshake;
use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use url::Url;

/// Answers a `GET` handshake; `None` when the request is not one.
pub(super) fn answer_get<C>(handshake: &Handshake<C>, config: &C, query: Option<&str>) -> Option<Response> {
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
        verify_token(config).iter().any(|(_, secret)| bool::from(secret.expose().as_bytes().ct_eq(token.as_bytes())));
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
pub(super) async fn answer_post<C>(
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
        Handshake::Sns { host } => {
            let kind = headers.get("x-amz-sns-message-type")?.to_str().ok()?;
            match kind {
                "SubscriptionConfirmation" => Some(confirm_sns(http, *host, body).await),
                "UnsubscribeConfirmation" => Some(StatusCode::OK.into_response()),
                _ => None,
            }
        }
    }
}

/// Fetches the `SubscribeURL`. `http` must not follow redirects: a redirect could lead out of
/// the allowed hosts.
async fn confirm_sns(http: &reqwest::Client, allowed: Option<&str>, body: &[u8]) -> Response {
    let refuse = |status: StatusCode, error: &str| (status, Json(json!({ "error": error }))).into_response();
    let url = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|message| Url::parse(message.get("SubscribeURL")?.as_str()?).ok());
    let Some(url) = url else { return refuse(StatusCode::BAD_REQUEST, "the confirmation has no SubscribeURL") };
    // Fetching a URL a request names is a way into the network behind us: only SNS's own.
    let host = url.host_str().unwrap_or_default().to_owned();
    let loopback = matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]");
    let on_allowed_host = match allowed {
        Some(allowed) => within(&host, allowed),
        None => is_sns_host(&host),
    };
    if !on_allowed_host || (url.scheme() != "https" && !loopback) {
        tracing::warn!(host, "refused to confirm a subscription at a host not SNS's");
        return refuse(StatusCode::FORBIDDEN, "the SubscribeURL is not on an allowed host");
    }
    match http.get(url).send().await {
        Ok(answer) if answer.status().is_success() => {
            tracing::info!(host, "confirmed a subscription");
            StatusCode::OK.into_response()
        }
        // A redirect too: SNS answers a confirmation itself.
        Ok(answer) => {
            tracing::warn!(host, status = %answer.status(), "confirming a subscription failed");
            refuse(StatusCode::BAD_GATEWAY, "confirming the subscription failed; send it again")
        }
        Err(error) => {
            tracing::warn!(error = %error.without_url(), "confirming a subscription failed");
            refuse(StatusCode::BAD_GATEWAY, "confirming the subscription failed; send it again")
        }
    }
}

/// `sns.<region>.amazonaws.com`, or `.amazonaws.com.cn` in China; not any AWS host, since
/// anyone can name an S3 bucket or an EC2 host under `amazonaws.com`.
fn is_sns_host(host: &str) -> bool {
    let rest = host.strip_suffix(".amazonaws.com").or_else(|| host.strip_suffix(".amazonaws.com.cn"));
    let region = rest.and_then(|rest| rest.strip_prefix("sns."));
    region.is_some_and(|region| {
        !region.is_empty()
            && region.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
    })
}

/// Whether `host` is `allowed` or a subdomain of it: whole labels, so `evilexample.com` is not
/// within `example.com`.
fn within(host: &str, allowed: &str) -> bool {
    let allowed = allowed.trim_start_matches('.');
    host == allowed || host.strip_suffix(allowed).is_some_and(|prefix| prefix.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sns_hosts_are_sns_hosts() {
        assert!(is_sns_host("sns.us-west-2.amazonaws.com"));
        assert!(is_sns_host("sns.cn-north-1.amazonaws.com.cn"));
        for other in [
            "my-bucket.s3.amazonaws.com",
            "ec2-1-2-3-4.compute-1.amazonaws.com",
            "sns..amazonaws.com",
            "sns.us-west-2.evil.amazonaws.com",
            "evilamazonaws.com",
            "sns.us-west-2.amazonaws.com.evil.com",
        ] {
            assert!(!is_sns_host(other), "{other}");
        }
    }

    #[test]
    fn a_host_is_within_whole_labels() {
        assert!(within("hooks.example.com", "example.com"));
        assert!(within("example.com", ".example.com"));
        assert!(!within("evilexample.com", "example.com"));
        assert!(!within("example.com.evil.net", "example.com"));
    }
}
