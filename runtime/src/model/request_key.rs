//! `header("…")` or `json("/…")`: where a request carries its event or its delivery id.

use super::extract::Rejection;
use super::request::Request;

/// Where a request carries a value: a pre-process endpoint's event (`route = …`) or a
/// webhook's delivery id (`dedupe = …`).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKey {
    Header(&'static str),
    /// A JSON pointer into the body (RFC 6901), e.g. `/type`.
    Json(&'static str),
}

impl RequestKey {
    /// The event `request` names, or why it names none.
    pub(crate) fn read_event(&self, request: &Request) -> std::result::Result<String, Rejection> {
        self.find(request, false)?.ok_or_else(|| {
            missing(match *self {
                RequestKey::Header(name) => format!("the request has no `{name}` header, which names its event"),
                RequestKey::Json(pointer) => format!("the body has no event name at `{pointer}`"),
            })
        })
    }

    /// The delivery id of `request`; a request without one is refused.
    pub(crate) fn read_delivery_id(&self, request: &Request) -> std::result::Result<String, Rejection> {
        self.find(request, true)?.ok_or_else(|| {
            missing(match *self {
                RequestKey::Header(name) => {
                    format!("the request has no `{name}` header, which this endpoint deduplicates on")
                }
                RequestKey::Json(pointer) => {
                    format!("the body has no delivery id at `{pointer}`, which this endpoint deduplicates on")
                }
            })
        })
    }

    /// The non-empty text at this key (or a number, when `numbers`); an error only when the
    /// body is not JSON.
    fn find(&self, request: &Request, numbers: bool) -> std::result::Result<Option<String>, Rejection> {
        match *self {
            RequestKey::Header(name) => Ok(request
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .filter(|value| !value.is_empty())
                .map(str::to_owned)),
            RequestKey::Json(pointer) => {
                let body: serde_json::Value = serde_json::from_slice(request.body())
                    .map_err(|error| missing(format!("the body is not valid JSON: {error}")))?;
                Ok(match body.pointer(pointer) {
                    Some(serde_json::Value::String(text)) if !text.is_empty() => Some(text.clone()),
                    Some(number @ serde_json::Value::Number(_)) if numbers => Some(number.to_string()),
                    _ => None,
                })
            }
        }
    }
}

fn missing(what: String) -> Rejection {
    Rejection::new(http::StatusCode::BAD_REQUEST, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_delivery_ids() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-github-delivery", "72d3162e".parse().unwrap());
        let request = Request::new(None, headers, r#"{"id": 42, "event": {"id": "evt_1"}}"#);
        assert_eq!(RequestKey::Header("X-GitHub-Delivery").read_delivery_id(&request).unwrap(), "72d3162e");
        assert_eq!(RequestKey::Json("/id").read_delivery_id(&request).unwrap(), "42");
        assert_eq!(RequestKey::Json("/event/id").read_delivery_id(&request).unwrap(), "evt_1");
        assert_eq!(
            RequestKey::Json("/missing").read_delivery_id(&request).unwrap_err().status(),
            http::StatusCode::BAD_REQUEST
        );
        assert!(RequestKey::Header("X-Other").read_delivery_id(&request).is_err());
    }
}
