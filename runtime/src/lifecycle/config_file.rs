//! Reading a customer's configuration file into the integration's config type.

use crate::error::{Error, Result};
use crate::integration::Config;
use std::path::Path;

/// A configuration read and checked: the typed value, and the JSON the store keeps.
pub(crate) struct ParsedConfig<C> {
    pub config: C,
    pub json: String,
}

/// Reads `path` as TOML (`.toml`) or JSON (anything else) into `C`.
pub(crate) fn read<C: Config>(path: &Path) -> Result<ParsedConfig<C>> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| Error::msg(format!("cannot read the configuration file {}: {error}", path.display())))?;
    let value: serde_json::Value = if path.extension().is_some_and(|extension| extension == "toml") {
        toml::from_str(&text).map_err(|error| {
            // Not `error`'s own text: it quotes the offending line, which may hold a secret.
            let line = error.span().map_or(0, |span| text[..span.start].lines().count().max(1));
            Error::msg(format!("{} is not valid TOML (line {line}): {}", path.display(), error.message()))
        })?
    } else {
        serde_json::from_str(&text)
            .map_err(|error| Error::msg(format!("{} is not valid JSON: {error}", path.display())))?
    };
    parse(value)
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
        let error = error.into_inner();
        // A missing field is reported by its parent; its name is in serde's message.
        if path == "." {
            Error::msg(format!("the configuration does not fit: {error}"))
        } else {
            Error::msg(format!("the configuration does not fit at `{path}`: {error}"))
        }
    })
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
    fn names_a_nested_field_of_the_wrong_type() {
        let error =
            parse::<Settings>(serde_json::json!({"inventory": {"url": "not a url"}, "token": "t"})).err().unwrap();
        assert!(error.to_string().starts_with("the configuration does not fit at `inventory.url`"), "{error}");
    }
}
