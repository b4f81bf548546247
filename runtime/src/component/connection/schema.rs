//! A connection as `instances schema` shows it: one object per kind, told apart by `type`.

use super::Connection;
use crate::model::Secret;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

/// One of the kinds of [`Connection`], with its fields; secrets marked as [`Secret`] marks them.
///
/// ```
/// let schema = schemars::schema_for!(aqueduct::Connection);
/// let kinds = schema.get("oneOf").unwrap().as_array().unwrap();
/// assert_eq!(kinds.len(), 5);
/// ```
impl JsonSchema for Connection {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Connection".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let secret = generator.subschema_for::<Secret>();
        let url = generator.subschema_for::<url::Url>();
        let scopes = json_schema!({ "type": "array", "items": { "type": "string" } });
        let client_auth = json_schema!({ "enum": ["basic", "body"], "default": "basic" });
        let kind = |name: &str, properties: serde_json::Value, required: &[&str]| {
            let mut properties = properties;
            properties["type"] = serde_json::json!({ "const": name });
            let required: Vec<&str> = std::iter::once("type").chain(required.iter().copied()).collect();
            serde_json::json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": false })
        };
        let oauth2 = |refresh_token: bool| {
            let mut properties = serde_json::json!({
                "token_url": url, "client_id": { "type": "string", "minLength": 1 }, "client_secret": secret,
                "scopes": scopes, "client_auth": client_auth,
            });
            let mut required = vec!["token_url", "client_id"];
            if refresh_token {
                properties["refresh_token"] = serde_json::to_value(&secret).expect("a schema is JSON");
                required.push("refresh_token");
            } else {
                required.push("client_secret");
            }
            kind(
                if refresh_token { "oauth2_refresh_token" } else { "oauth2_client_credentials" },
                properties,
                &required,
            )
        };
        json_schema!({
            "description": "How a component authenticates to a third party",
            "oneOf": [
                kind("api_key", serde_json::json!({
                    "key": secret, "header": { "type": "string" }, "query": { "type": "string" },
                }), &["key"]),
                kind("bearer", serde_json::json!({ "token": secret }), &["token"]),
                kind("basic", serde_json::json!({ "username": { "type": "string" }, "password": secret }), &["username", "password"]),
                oauth2(false),
                oauth2(true),
            ],
        })
    }
}
