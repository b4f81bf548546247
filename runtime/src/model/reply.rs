//! What a sync flow answers its caller: a status, headers and a body, recorded as the run's
//! output so that the status URL and the callback can give the same answer later.

use super::error::{Error, Result};
use super::extract::Json;
use super::flow::Output;
use super::secret::Secret;
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};

/// A sync flow's answer: a status, a body and its content type, and any headers.
///
/// A sync flow returns a `Reply`, or anything that becomes one ([`IntoReply`]): `Json<T>`,
/// `(StatusCode, Json<T>)`, a `String`, `(StatusCode, String)` or a bare `StatusCode`.
///
/// ```
/// use aqueduct::Reply;
/// use http::StatusCode;
///
/// let csv = Reply::bytes("text/csv", "sku,stock\nA-1,20\n").with_header("cache-control", "no-store");
/// assert_eq!(csv.status(), StatusCode::OK);
///
/// let missing = Reply::json(&serde_json::json!({ "error": "no such customer" })).with_status(StatusCode::NOT_FOUND);
/// assert_eq!(missing.status(), StatusCode::NOT_FOUND);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    status: u16,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    headers: Vec<(String, String)>,
    /// The body as recorded: JSON as JSON, text as text, other bytes as base64 — so the run's
    /// output reads as what was answered.
    #[serde(default, skip_serializing_if = "Body::is_empty")]
    body: Body,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Body {
    #[default]
    Empty,
    Json(serde_json::Value),
    Text(String),
    Bytes {
        content_type: String,
        base64: String,
    },
}

impl Body {
    fn is_empty(&self) -> bool {
        matches!(self, Body::Empty)
    }
}

impl Reply {
    /// `200 OK` with `value` as a JSON body.
    pub fn json(value: &impl Serialize) -> Reply {
        let body = serde_json::to_value(value).map_or_else(|error| Body::Text(error.to_string()), Body::Json);
        Reply { status: 200, headers: Vec::new(), body }
    }

    /// `200 OK` with a `text/plain` body.
    pub fn text(text: impl Into<String>) -> Reply {
        Reply { status: 200, headers: Vec::new(), body: Body::Text(text.into()) }
    }

    /// `200 OK` with `body` as bytes of `content_type`.
    pub fn bytes(content_type: &str, body: impl AsRef<[u8]>) -> Reply {
        let base64 = base64::engine::general_purpose::STANDARD.encode(body);
        Reply { status: 200, headers: Vec::new(), body: Body::Bytes { content_type: content_type.to_owned(), base64 } }
    }

    /// `status` with no body.
    pub fn empty(status: StatusCode) -> Reply {
        Reply { status: status.as_u16(), headers: Vec::new(), body: Body::Empty }
    }

    /// The same answer with another status.
    pub fn with_status(self, status: StatusCode) -> Reply {
        Reply { status: status.as_u16(), ..self }
    }

    /// The same answer with a header added (checked when the flow returns).
    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The answer as the caller gets it: status, headers (the content type among them), body.
    pub(crate) fn parts(&self) -> Result<Parts> {
        let status = StatusCode::from_u16(self.status)
            .map_err(|_| Error::msg(format!("{} is not an HTTP status", self.status)))?;
        let mut headers = Vec::new();
        let (content_type, body) = match &self.body {
            Body::Empty => (None, Bytes::new()),
            Body::Json(value) => (Some("application/json"), Bytes::from(value.to_string())),
            Body::Text(text) => (Some("text/plain; charset=utf-8"), Bytes::from(text.clone())),
            Body::Bytes { content_type, base64 } => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(base64)
                    .map_err(|_| Error::msg("the recorded body is not base64"))?;
                (Some(content_type.as_str()), Bytes::from(bytes))
            }
        };
        if let Some(content_type) = content_type {
            headers.push((http::header::CONTENT_TYPE, header_value(content_type)?));
        }
        for (name, value) in &self.headers {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|_| Error::msg(format!("`{name}` is not a header name")))?;
            headers.push((name, header_value(value)?));
        }
        Ok((status, headers, body))
    }

    /// The answer as the run records it.
    pub(crate) fn into_output(self) -> Result<Output> {
        // Checked now, so a reply that cannot be sent fails the run rather than its caller.
        self.parts()
            .map_err(|error| Error::permanent(Error::msg(format!("the flow's reply cannot be sent: {error}"))))?;
        Ok(Some(serde_json::to_value(self)?))
    }

    /// The answer a run recorded.
    pub(crate) fn from_output(output: Option<&serde_json::Value>) -> Result<Reply> {
        let output = output.ok_or_else(|| Error::msg("the run recorded no reply"))?;
        Reply::deserialize(output).map_err(|error| Error::msg(format!("the run's output is not a reply: {error}")))
    }
}

/// A reply as sent: status, headers, body.
pub(crate) type Parts = (StatusCode, Vec<(HeaderName, HeaderValue)>, Bytes);

fn header_value(value: &str) -> Result<HeaderValue> {
    HeaderValue::try_from(value).map_err(|_| Error::msg(format!("`{value}` is not a header value")))
}

/// What a sync flow may answer with.
///
/// ```
/// use aqueduct::{IntoReply, Json};
/// use http::StatusCode;
///
/// let reply = (StatusCode::CREATED, Json(serde_json::json!({ "id": 7 }))).into_reply();
/// assert_eq!(reply.status(), StatusCode::CREATED);
/// assert_eq!("not found".to_owned().into_reply().status(), StatusCode::OK);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an answer a sync flow can give",
    label = "a sync flow returns `Result<R>` where `R` is a response",
    note = "answer with `Json<T>`, `(StatusCode, Json<T>)`, `String`, `(StatusCode, String)`, `StatusCode` or `aqueduct::Reply` (any status, headers, bytes with a content type)"
)]
pub trait IntoReply {
    fn into_reply(self) -> Reply;
}

impl IntoReply for Reply {
    fn into_reply(self) -> Reply {
        self
    }
}

impl<T: Serialize> IntoReply for Json<T> {
    fn into_reply(self) -> Reply {
        Reply::json(&self.0)
    }
}

impl<T: Serialize> IntoReply for (StatusCode, Json<T>) {
    fn into_reply(self) -> Reply {
        Reply::json(&self.1.0).with_status(self.0)
    }
}

impl IntoReply for String {
    fn into_reply(self) -> Reply {
        Reply::text(self)
    }
}

impl IntoReply for (StatusCode, String) {
    fn into_reply(self) -> Reply {
        Reply::text(self.1).with_status(self.0)
    }
}

impl IntoReply for StatusCode {
    fn into_reply(self) -> Reply {
        Reply::empty(self)
    }
}

/// What a sync flow function may return.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a sync flow returns `aqueduct::Result<R>` where `R` is a response, not `{Self}`",
    label = "write e.g. `-> Result<Json<Customer>>`",
    note = "a response is `Json<T>`, `(StatusCode, Json<T>)`, `String`, `(StatusCode, String)`, `StatusCode` or `aqueduct::Reply`"
)]
pub trait SyncResult {
    fn into_output(self) -> Result<Output>;
}

impl<R: IntoReply> SyncResult for Result<R> {
    fn into_output(self) -> Result<Output> {
        self?.into_reply().into_output()
    }
}

/// Where a sync flow's callers may ask to be called back, and the secret the callbacks are
/// signed with (`callback_hosts = field, callback_secret = field`), read from an instance's
/// configuration.
#[doc(hidden)]
pub struct Callbacks {
    pub hosts: Vec<String>,
    pub secret: Option<Secret>,
}

/// A configuration field that lists the hosts a sync flow may call back (`callback_hosts = field`).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a callback allow-list must be a `Vec<String>` of host names, not `{Self}`",
    label = "named by `callback_hosts = …`",
    note = "e.g. `\"callback_hosts\": [\"erp.example.com\"]` in the instance's configuration"
)]
pub trait CallbackHosts {
    fn read(&self) -> Vec<String>;
}

impl CallbackHosts for Vec<String> {
    fn read(&self) -> Vec<String> {
        self.clone()
    }
}

impl CallbackHosts for Option<Vec<String>> {
    fn read(&self) -> Vec<String> {
        self.clone().unwrap_or_default()
    }
}

/// A configuration field that holds the secret a sync flow's callbacks are signed with
/// (`callback_secret = field`).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a callback signing secret must be a `Secret`, not `{Self}`",
    label = "named by `callback_secret = …`",
    note = "a Standard Webhooks secret, `whsec_` and base64; `Option<Secret>` lets an instance without one take no callbacks"
)]
pub trait CallbackSecret {
    fn read(&self) -> Option<Secret>;
}

impl CallbackSecret for Secret {
    fn read(&self) -> Option<Secret> {
        Some(self.clone())
    }
}

impl CallbackSecret for Option<Secret> {
    fn read(&self) -> Option<Secret> {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a run records is what its caller is answered, later as at once.
    #[test]
    fn a_recorded_reply_answers_the_same() {
        let replies = [
            Reply::json(&serde_json::json!({ "name": "Ada" })).with_header("x-source", "crm"),
            Reply::bytes("text/csv", "a,b\n1,2\n"),
            (StatusCode::NOT_FOUND, "no such customer".to_owned()).into_reply(),
            StatusCode::NO_CONTENT.into_reply(),
        ];
        for reply in replies {
            let output = reply.clone().into_output().unwrap();
            let again = Reply::from_output(output.as_ref()).unwrap();
            assert_eq!(again.parts().unwrap(), reply.parts().unwrap());
        }
        let (status, headers, body) = Reply::bytes("text/csv", "a,b\n").parts().unwrap();
        assert_eq!(
            (status, &headers[0].1, &body[..]),
            (StatusCode::OK, &HeaderValue::from_static("text/csv"), &b"a,b\n"[..])
        );
    }

    #[test]
    fn a_reply_that_cannot_be_sent_fails_the_run_and_says_why() {
        let error = Reply::text("x").with_header("bad header", "v").into_output().unwrap_err();
        assert!(error.is_permanent());
        assert!(format!("{error:#}").contains("`bad header` is not a header name"), "{error:#}");
    }
}
