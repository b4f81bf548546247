//! Extractors: the typed arguments a webhook flow takes after its `Ctx`.

use super::request::Request;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Reads one flow argument from a [`Request`]; a failure refuses the request at the door.
///
/// aqueduct implements it for [`Json`], [`Query`], [`Bytes`] and [`HeaderMap`]; implement it
/// for an argument type of your own:
///
/// ```
/// use aqueduct::{FromRequest, Rejection, Request};
///
/// /// The `X-Shop-Domain` header every request of this provider carries.
/// struct ShopDomain(String);
///
/// impl FromRequest for ShopDomain {
///     fn from_request(request: &Request) -> Result<Self, Rejection> {
///         let value = request.headers().get("x-shop-domain").and_then(|v| v.to_str().ok());
///         value.map(|domain| ShopDomain(domain.to_owned())).ok_or_else(|| Rejection::missing_header("x-shop-domain"))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an argument of a flow",
    label = "not an extractor",
    note = "after its `Ctx`, a webhook flow takes extractors: `Json<T>`, `Query<T>`, `Bytes` or `HeaderMap`"
)]
pub trait FromRequest: Sized {
    /// Reads the argument, or says why the request is refused.
    fn from_request(request: &Request) -> Result<Self, Rejection>;
}

/// Why a request was refused: an HTTP status and a message that names what was wrong.
///
/// ```
/// use aqueduct::Rejection;
///
/// let rejection = Rejection::missing_header("x-shop-domain");
/// assert_eq!(rejection.status(), http::StatusCode::BAD_REQUEST);
/// assert_eq!(rejection.to_string(), "the request has no `x-shop-domain` header");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rejection {
    #[serde(skip)]
    status: StatusCode,
    error: String,
    /// Where in the payload the problem is, e.g. `updates[1].quantity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
}

impl Rejection {
    /// A refusal with this status and message.
    pub fn new(status: StatusCode, error: impl Into<String>) -> Rejection {
        Rejection { status, error: error.into(), path: None }
    }

    /// 400: a header the flow needs is not there.
    pub fn missing_header(name: &str) -> Rejection {
        Rejection::new(StatusCode::BAD_REQUEST, format!("the request has no `{name}` header"))
    }

    /// The HTTP status the caller gets.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The field the refusal is about, if it is about one.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }
}

/// Where a payload's problem is: serde names the object that lacks a field, but the field is
/// what the sender must add; and the whole payload (`.`) has no field to name.
pub(super) fn field_path(path: String, message: &str) -> Option<String> {
    let missing = message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next());
    match (missing, path.as_str()) {
        (Some(field), ".") => Some(field.to_owned()),
        (Some(field), _) => Some(format!("{path}.{field}")),
        (None, ".") => None,
        (None, _) => Some(path),
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{} (at `{path}`)", self.error),
            None => f.write_str(&self.error),
        }
    }
}

impl std::error::Error for Rejection {}

/// A JSON body decoded into `T`. Malformed JSON is refused with 400; JSON of the wrong shape
/// with 422 naming the field, e.g. `updates[1].quantity`.
///
/// ```
/// use aqueduct::{FromRequest, Json, Request};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Update { item: String, quantity: u32 }
///
/// let good = Request::new(None, Default::default(), r#"{"item":"widgets","quantity":20}"#);
/// let Json(update) = Json::<Update>::from_request(&good).unwrap();
/// assert_eq!((update.item.as_str(), update.quantity), ("widgets", 20));
///
/// let wrong_type = Request::new(None, Default::default(), r#"{"item":"widgets","quantity":"many"}"#);
/// let rejection = Json::<Update>::from_request(&wrong_type).err().unwrap();
/// assert_eq!((rejection.status().as_u16(), rejection.path()), (422, Some("quantity")));
///
/// let missing = Request::new(None, Default::default(), r#"{"item":"widgets"}"#);
/// assert_eq!(Json::<Update>::from_request(&missing).err().unwrap().path(), Some("quantity"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Json<T> {
    fn from_request(request: &Request) -> Result<Self, Rejection> {
        // The plain parse first: tracking the path to every field costs a third of the parse,
        // and is only needed to say where a payload that does not fit goes wrong.
        if let Ok(value) = serde_json::from_slice(request.body()) {
            return Ok(Json(value));
        }
        let mut deserializer = serde_json::Deserializer::from_slice(request.body());
        let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let path = error.path().to_string();
            let error = error.into_inner();
            if error.is_data() {
                let message = format!("the payload does not fit: {error}");
                Rejection {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    path: field_path(path, &error.to_string()),
                    error: message,
                }
            } else {
                Rejection::new(StatusCode::BAD_REQUEST, format!("the body is not valid JSON: {error}"))
            }
        })?;
        deserializer
            .end()
            .map_err(|error| Rejection::new(StatusCode::BAD_REQUEST, format!("the body is not valid JSON: {error}")))?;
        Ok(Json(value))
    }
}

/// The query string decoded into `T`; a parameter that does not fit is refused with 400
/// naming it.
///
/// ```
/// use aqueduct::{FromRequest, Query, Request};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Options { dry_run: bool }
///
/// let request = Request::new(Some("dry_run=true"), Default::default(), "");
/// assert!(Query::<Options>::from_request(&request).unwrap().0.dry_run);
///
/// let without = Request::new(Some("page=2"), Default::default(), "");
/// assert_eq!(Query::<Options>::from_request(&without).err().unwrap().path(), Some("dry_run"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    fn from_request(request: &Request) -> Result<Self, Rejection> {
        let query = request.query().unwrap_or_default();
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer).map(Query).map_err(|error| {
            let path = error.path().to_string();
            let error = error.into_inner();
            Rejection {
                status: StatusCode::BAD_REQUEST,
                path: field_path(path, &error.to_string()),
                error: format!("the query string does not fit: {error}"),
            }
        })
    }
}

impl FromRequest for Bytes {
    fn from_request(request: &Request) -> Result<Self, Rejection> {
        Ok(request.body().clone())
    }
}

impl FromRequest for HeaderMap {
    fn from_request(request: &Request) -> Result<Self, Rejection> {
        Ok(request.headers().clone())
    }
}
