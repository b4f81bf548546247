//! What of a delivery is read and kept: its body, up to the endpoint's limit, and its
//! headers without credentials.

use axum::body::Body;
use http::{HeaderMap, header};

/// Headers the inbox does not keep: credentials, which a flow never needs once the request is
/// verified, and which would otherwise sit in the store.
fn is_credential(name: &header::HeaderName) -> bool {
    let name = name.as_str();
    [header::AUTHORIZATION.as_str(), header::COOKIE.as_str(), header::PROXY_AUTHORIZATION.as_str()].contains(&name)
        || ["token", "secret", "password", "api-key", "apikey"].iter().any(|word| name.contains(word))
}

/// The headers without credentials.
pub(super) fn kept_headers(mut headers: HeaderMap) -> HeaderMap {
    let credentials: Vec<header::HeaderName> = headers.keys().filter(|name| is_credential(name)).cloned().collect();
    for name in credentials {
        headers.remove(name);
    }
    headers
}

/// The body, read up to `limit` bytes; `None` past it, found without reading it all.
pub(super) async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Option<bytes::Bytes> {
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return None;
    }
    axum::body::to_bytes(body, limit).await.ok()
}
