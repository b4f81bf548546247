//! What of a delivery is read and kept: its body, up to the endpoint's limit and within the
//! server's body timeout, and its headers without credentials.

use axum::body::Body;
use http::{HeaderMap, header};
use std::time::Duration;

/// Headers the inbox does not keep: credentials, which a flow never needs once the request is
/// verified, and which would otherwise sit in the store.
fn is_credential(name: &header::HeaderName) -> bool {
    let name = name.as_str();
    [header::AUTHORIZATION.as_str(), header::COOKIE.as_str(), header::PROXY_AUTHORIZATION.as_str()].contains(&name)
        || ["token", "secret", "password", "api-key", "apikey"].iter().any(|word| name.contains(word))
}

/// Removes the credentials.
pub(super) fn forget_credentials(headers: &mut HeaderMap) {
    let credentials: Vec<header::HeaderName> = headers.keys().filter(|name| is_credential(name)).cloned().collect();
    for name in credentials {
        headers.remove(name);
    }
}

/// Why a body was not read.
#[derive(Debug)]
pub(super) enum Unread {
    /// It is larger than the endpoint takes: found from its length, or on reaching the limit.
    TooLarge,
    /// It ended early: the sender hung up.
    Broken(String),
    /// It had not all arrived within the body timeout: a sender too slow, or one holding the
    /// connection.
    TimedOut,
}

/// The body, read up to `limit` bytes within `timeout`.
pub(super) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: Duration,
) -> Result<bytes::Bytes, Unread> {
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(Unread::TooLarge);
    }
    let read = tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await.map_err(|_| Unread::TimedOut)?;
    read.map_err(|error| {
        let error = error.into_inner();
        if error.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
            Unread::TooLarge
        } else {
            Unread::Broken(error.to_string())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATIENT: Duration = Duration::from_secs(30);

    #[tokio::test]
    async fn a_body_past_the_limit_is_too_large_whether_declared_or_not() {
        let declared: HeaderMap = [(header::CONTENT_LENGTH, "11".parse().unwrap())].into_iter().collect();
        assert!(matches!(read_body(&declared, Body::from("hello world"), 10, PATIENT).await, Err(Unread::TooLarge)));
        assert!(matches!(
            read_body(&HeaderMap::new(), Body::from("hello world"), 10, PATIENT).await,
            Err(Unread::TooLarge)
        ));
        assert_eq!(read_body(&HeaderMap::new(), Body::from("hello"), 10, PATIENT).await.unwrap(), "hello");
    }

    #[tokio::test]
    async fn a_body_that_breaks_off_is_not_too_large() {
        let stream = futures::stream::iter([Ok(bytes::Bytes::from("he")), Err(std::io::Error::other("hung up"))]);
        let read = read_body(&HeaderMap::new(), Body::from_stream(stream), 10, PATIENT).await;
        assert!(matches!(read, Err(Unread::Broken(reason)) if reason.contains("hung up")));
    }

    #[tokio::test]
    async fn a_body_still_arriving_at_the_timeout_timed_out() {
        let first = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from("he"))]);
        let stream = futures::StreamExt::chain(first, futures::stream::pending());
        let started = std::time::Instant::now();
        let read = read_body(&HeaderMap::new(), Body::from_stream(stream), 10, Duration::from_millis(200)).await;
        assert!(matches!(read, Err(Unread::TimedOut)), "{read:?}");
        assert!(started.elapsed() >= Duration::from_millis(200));
    }
}
