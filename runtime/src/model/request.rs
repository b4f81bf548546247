//! A request as received, and as the inbox keeps it.

use bytes::Bytes;
use http::{HeaderMap, Method};

/// What a webhook delivered (or a broker's message, as method `POST` with its headers): kept
/// in the inbox, read by the flow's extractors twice — at the door, to refuse a bad payload
/// before it is accepted, and when the run executes.
///
/// ```
/// use aqueduct::Request;
///
/// let request = Request::new(Some("dry_run=true"), http::HeaderMap::new(), r#"{"updates":[]}"#);
/// assert_eq!(request.method(), http::Method::POST);
/// assert_eq!(request.query(), Some("dry_run=true"));
/// assert_eq!(&request.body()[..], br#"{"updates":[]}"#);
/// ```
#[derive(Clone, Debug)]
pub struct Request {
    method: Method,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
}

impl Default for Request {
    fn default() -> Request {
        Request::new(None, HeaderMap::new(), Bytes::new())
    }
}

impl Request {
    /// A `POST` with this query string (without `?`), headers and body.
    pub fn new(query: Option<&str>, headers: HeaderMap, body: impl Into<Bytes>) -> Request {
        Request { method: Method::POST, query: query.map(str::to_owned), headers, body: body.into() }
    }

    /// The same request, made with `method`.
    ///
    /// ```
    /// let request = aqueduct::Request::default().with_method(http::Method::GET);
    /// assert_eq!(request.method(), http::Method::GET);
    /// ```
    pub fn with_method(self, method: Method) -> Request {
        Request { method, ..self }
    }

    /// The headers, to remove what is not kept (credentials) once the request is verified.
    pub(crate) fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// The HTTP method it was made with; `POST` for a broker's message.
    pub fn method(&self) -> Method {
        self.method.clone()
    }

    /// The query string, without the `?`.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The headers the inbox kept (credentials are dropped before a request is stored).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The raw body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}
