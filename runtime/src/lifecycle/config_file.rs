//! Reading a customer's configuration file into the integration's config type.

use crate::model::{Config, Error, ParsedConfig, Result, parse_config};
use std::path::Path;

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
    parse_config(value)
}
