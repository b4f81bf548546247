//! A request as the inbox keeps it.

use bytes::Bytes;
use http::HeaderMap;

/// What a webhook delivered: kept in the inbox, read by the flow's extractors twice — at the
/// door, to refuse a bad payload before it is accepted, and when the run executes.
///
/// ```
/// use aqueduct::Request;
///
/// let request = Request::new(Some("dry_run=true"), http::HeaderMap::new(), r#"{"updates":[]}"#);
/// assert_eq!(request.query(), Some("dry_run=true"));
/// assert_eq!(&request.body()[..], br#"{"updates":[]}"#);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Request {
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
}

impl Request {
    /// A request with this query string (without `?`), headers and body.
    pub fn new(query: Option<&str>, headers: HeaderMap, body: impl Into<Bytes>) -> Request {
        Request { query: query.map(str::to_owned), headers, body: body.into() }
    }

    /// The query string, without the `?`.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The headers the inbox kept (see `ingress::webhook` for which it drops).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The raw body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}
