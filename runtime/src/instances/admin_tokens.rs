//! Admin API tokens: made here, shown once, kept only as their SHA-256, checked on every
//! admin request (so one revoked on any server is refused by all at once).

use crate::model::{Error, Result};
use crate::store::{AdminToken, Store};
use base64::Engine as _;
use chacha20poly1305::aead::OsRng;
use chacha20poly1305::aead::rand_core::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The name of the token `serve` makes at its first start.
pub(crate) const FIRST_TOKEN: &str = "first";

/// Every token starts so, to be told apart from other secrets in a config or a leak scanner.
const PREFIX: &str = "aqa_";

/// The admin tokens of a store.
pub(crate) struct AdminTokens {
    store: Arc<dyn Store>,
}

impl AdminTokens {
    pub(crate) fn new(store: Arc<dyn Store>) -> AdminTokens {
        AdminTokens { store }
    }

    /// A new token named `name`: its value, which is not stored and cannot be shown again;
    /// `None` when a token of that name exists.
    pub(crate) async fn create(&self, name: &str) -> Result<Option<String>> {
        check_name(name)?;
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let value = format!("{PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
        Ok(self.store.create_admin_token(name, &digest(&value)).await?.then_some(value))
    }

    /// `false` when there is no token `name`.
    pub(crate) async fn revoke(&self, name: &str) -> Result<bool> {
        self.store.revoke_admin_token(name).await
    }

    pub(crate) async fn list(&self) -> Result<Vec<AdminToken>> {
        self.store.admin_tokens().await
    }

    /// The name of the token `value` is, or `None` when it is none (or was revoked).
    pub(crate) async fn holder(&self, value: &str) -> Result<Option<String>> {
        if !value.starts_with(PREFIX) {
            return Ok(None);
        }
        self.store.admin_token_named(&digest(value)).await
    }
}

/// A token is looked up by its digest: a SHA-256 of 32 random bytes cannot be guessed from
/// how long a lookup takes, so no constant-time comparison is needed.
fn digest(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

fn check_name(name: &str) -> Result<()> {
    let fits = |char: char| char.is_ascii_lowercase() || char.is_ascii_digit() || char == '-' || char == '_';
    if name.is_empty() || name.len() > 64 || !name.chars().all(fits) {
        return Err(Error::msg(format!(
            "`{name}` cannot name a token: use 1 to 64 lowercase letters, digits, `-` and `_`"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_token_is_its_holder_until_revoked_and_only_its_digest_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("tokens.db").display());
        let store = crate::store::open(&url, crate::store::Role::Command).await.unwrap();
        let tokens = AdminTokens::new(store.clone());
        let value = tokens.create("ops").await.unwrap().unwrap();
        assert!(value.starts_with(PREFIX) && value.len() > 40, "{value}");
        assert_eq!(tokens.create("ops").await.unwrap(), None, "the name is taken");
        assert_eq!(tokens.holder(&value).await.unwrap().as_deref(), Some("ops"));
        assert_eq!(tokens.holder(&value[..value.len() - 1]).await.unwrap(), None);
        assert_eq!(tokens.holder("").await.unwrap(), None);
        assert_eq!(store.admin_token_named(&digest(&value)).await.unwrap().as_deref(), Some("ops"));
        assert!(tokens.revoke("ops").await.unwrap());
        assert_eq!(tokens.holder(&value).await.unwrap(), None);
        assert!(tokens.create("Bad Name").await.unwrap_err().to_string().contains("lowercase"));
    }
}
