//! Secrets in configuration: readable by code, never printed.

use serde::Deserialize;
use std::fmt;

/// A credential from a customer's configuration (an API token, a signing secret).
///
/// It deserializes from a string and never shows its value: `Debug` and `Display` print
/// `***`, and it has no `Serialize`, so it cannot end up in a log, a run record or an output
/// by accident. Read it with [`Secret::expose`] where it is sent.
///
/// ```
/// use aqueduct::Secret;
///
/// let token: Secret = serde_json::from_str(r#""s3cr3t""#).unwrap();
/// assert_eq!(token.expose(), "s3cr3t");
/// assert_eq!(format!("{token} {token:?}"), "*** Secret(***)");
/// ```
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value, e.g. one read from the environment.
    ///
    /// ```
    /// let secret = aqueduct::Secret::new("whsec_abc");
    /// assert_eq!(secret.expose(), "whsec_abc");
    /// ```
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret's value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A secret field, as `instances schema` shows it: a string marked `"writeOnly": true` (given,
/// never shown back) and `"x-secret": true`, so a form renders it as a password field.
///
/// ```
/// let schema = schemars::schema_for!(aqueduct::Secret);
/// assert_eq!(schema.get("x-secret"), Some(&serde_json::json!(true)));
/// ```
impl schemars::JsonSchema for Secret {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Secret".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "minLength": 1, "writeOnly": true, "x-secret": true })
    }
}
