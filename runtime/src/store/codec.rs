//! How values are laid out in the stores' columns, the same in SQLite and PostgreSQL.

use crate::model::{AttemptRecord, Request};
use crate::store::{FinishedAttempt, Outcome};
use http::{HeaderMap, HeaderName, HeaderValue, Method};

/// Milliseconds since the Unix epoch: the stored form of every time.
pub(in crate::store) fn millis(timestamp: jiff::Timestamp) -> i64 {
    timestamp.as_millisecond()
}

pub(in crate::store) fn timestamp(millis: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(millis).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

pub(in crate::store) fn now() -> i64 {
    millis(jiff::Timestamp::now())
}

/// Headers as `name: value` lines; a header value never holds a line break.
pub(in crate::store) fn encode_headers(headers: &HeaderMap) -> Vec<u8> {
    let mut encoded = Vec::new();
    for (name, value) in headers {
        encoded.extend_from_slice(name.as_str().as_bytes());
        encoded.extend_from_slice(b": ");
        encoded.extend_from_slice(value.as_bytes());
        encoded.push(b'\n');
    }
    encoded
}

pub(in crate::store) fn decode_headers(encoded: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in encoded.split(|byte| *byte == b'\n').filter(|line| !line.is_empty()) {
        let Some(colon) = line.windows(2).position(|pair| pair == b": ") else { continue };
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(&line[..colon]), HeaderValue::from_bytes(&line[colon + 2..]))
        {
            headers.append(name, value);
        }
    }
    headers
}

/// A method as stored: `NULL` for `POST`, which nearly every run has.
pub(in crate::store) fn encode_method(method: &Method) -> Option<&str> {
    (method != Method::POST).then(|| method.as_str())
}

pub(in crate::store) fn decode_method(stored: Option<&str>) -> Method {
    stored.and_then(|method| Method::from_bytes(method.as_bytes()).ok()).unwrap_or(Method::POST)
}

/// A `payloads` row as read — method, query, headers, body — all `None` for a run without one.
pub(in crate::store) type StoredPayload = (Option<String>, Option<String>, Option<Vec<u8>>, Option<Vec<u8>>);

/// The request a `payloads` row holds; a run without one (a tick, a hook) had an empty `POST`.
pub(in crate::store) fn decode_request((method, query, headers, body): StoredPayload) -> Request {
    Request::new(query.as_deref(), decode_headers(&headers.unwrap_or_default()), body.unwrap_or_default())
        .with_method(decode_method(method.as_deref()))
}

/// The attempt as one line of the run's history (JSON and a newline), made before the write.
pub(in crate::store) fn history_line(attempt: &FinishedAttempt, finished_at: i64) -> String {
    let error = match &attempt.outcome {
        Outcome::Succeeded(_) => None,
        Outcome::Retry { error, .. } | Outcome::Dead { error } => Some(error.clone()),
    };
    let record = AttemptRecord {
        attempt: attempt.attempt,
        started_at: attempt.started_at,
        finished_at: timestamp(finished_at),
        error,
        steps: attempt.steps.clone(),
        logs: attempt.logs.clone(),
    };
    let mut line = serde_json::to_string(&record).expect("an attempt record serializes");
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_survive_the_round_trip() {
        let mut headers = HeaderMap::new();
        headers.append("x-github-event", HeaderValue::from_static("push"));
        headers.append("accept", HeaderValue::from_static("a"));
        headers.append("accept", HeaderValue::from_static("b: c"));
        assert_eq!(decode_headers(&encode_headers(&headers)), headers);
    }

    #[test]
    fn methods_survive_the_round_trip() {
        for method in [Method::POST, Method::GET, Method::PUT] {
            assert_eq!(decode_method(encode_method(&method)), method);
        }
        assert_eq!(encode_method(&Method::POST), None);
    }
}
