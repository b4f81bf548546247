//! The integration's configuration type: what each customer's config is read into, checked
//! field by field.

use super::error::{Error, Result};
use super::extract::field_path;
use serde::de::DeserializeOwned;

/// What an integration's configuration type must be: read from the customer's config file,
/// shared by every run of the instance.
///
/// Every `Deserialize` type that is `Send + Sync + 'static` is one:
///
/// ```
/// use aqueduct::prelude::*;
///
/// #[derive(Deserialize)]
/// struct Settings { api_url: Url, api_token: Secret }
///
/// fn takes_config<C: aqueduct::Config>() {}
/// takes_config::<Settings>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot configure an integration",
    label = "each customer's config file is read into this type",
    note = "derive `Deserialize` for it; it must also be `Send + Sync + 'static`"
)]
pub trait Config: DeserializeOwned + Send + Sync + 'static {}

impl<C: DeserializeOwned + Send + Sync + 'static> Config for C {}

/// A configuration read and checked: the typed value, and the JSON the store keeps.
pub(crate) struct ParsedConfig<C> {
    pub config: C,
    pub json: String,
}

/// Checks a configuration given as JSON against `C`, naming the field that does not fit.
pub(crate) fn parse<C: Config>(value: serde_json::Value) -> Result<ParsedConfig<C>> {
    let json = value.to_string();
    let config = from_value(value)?;
    Ok(ParsedConfig { config, json })
}

/// Decodes stored configuration JSON.
pub(crate) fn decode<C: Config>(json: &str) -> Result<C> {
    from_value(serde_json::from_str(json)?)
}

/// From a JSON value, so errors name the field but no position in a text the user never saw.
fn from_value<C: Config>(value: serde_json::Value) -> Result<C> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let error = without_string_value(&error.into_inner().to_string());
        // A field missing at the top is named by serde's message; one below, by its own path.
        match field_path(path.clone(), &error).filter(|_| path != ".") {
            Some(path) => Error::msg(format!("the configuration does not fit at `{path}`: {error}")),
            None => Error::msg(format!("the configuration does not fit: {error}")),
        }
    })
}

/// serde quotes a string it could not take (`invalid type: string "…", expected …`), and the
/// string may be a secret: the message keeps what was wrong without it.
fn without_string_value(message: &str) -> String {
    match (message.find("string \""), message.rfind('"')) {
        (Some(start), Some(end)) if end > start + "string ".len() => {
            format!("{}string{}", &message[..start], &message[end + 1..])
        }
        _ => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Settings {
        inventory: Inventory,
        token: String,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inventory {
        url: url::Url,
    }

    #[test]
    fn names_a_missing_field() {
        let error = parse::<Settings>(serde_json::json!({"inventory": {"url": "http://x"}})).err().unwrap();
        assert_eq!(error.to_string(), "the configuration does not fit: missing field `token`");
    }

    #[test]
    fn names_a_missing_nested_field_by_its_path() {
        let error = parse::<Settings>(serde_json::json!({"inventory": {}, "token": "t"})).err().unwrap();
        assert!(error.to_string().starts_with("the configuration does not fit at `inventory.url`"), "{error}");
    }

    #[test]
    fn names_a_nested_field_of_the_wrong_type() {
        let error =
            parse::<Settings>(serde_json::json!({"inventory": {"url": "not a url"}, "token": "t"})).err().unwrap();
        assert!(error.to_string().starts_with("the configuration does not fit at `inventory.url`"), "{error}");
    }

    #[test]
    fn a_string_of_the_wrong_type_is_not_quoted_back() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Limits {
            retries: u32,
        }
        let error = parse::<Limits>(serde_json::json!({"retries": "s3cr3t"})).err().unwrap();
        assert!(!error.to_string().contains("s3cr3t"), "{error}");
        assert!(error.to_string().contains("invalid type: string, expected u32"), "{error}");
    }
}
