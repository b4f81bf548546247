//! The OAuth2 tokens of one instance's connections, sealed at rest like its configuration.

use super::Sealer;
use crate::model::Result;
use crate::store::{Store, StoredToken};
use std::sync::Arc;

/// One instance's stored tokens, each under a digest of its connection's settings.
#[derive(Clone)]
pub(crate) struct Tokens {
    store: Arc<dyn Store>,
    sealer: Arc<Sealer>,
    instance: String,
}

impl Tokens {
    pub(super) fn new(store: Arc<dyn Store>, sealer: Arc<Sealer>, instance: &str) -> Tokens {
        Tokens { store, sealer, instance: instance.to_owned() }
    }

    /// The token last stored for `connection`, as the JSON it was saved as.
    pub(crate) async fn load(&self, connection: &str) -> Result<Option<String>> {
        let Some(sealed) = self.store.token(&self.instance, connection).await? else { return Ok(None) };
        let token = StoredToken { instance: self.instance.clone(), connection: connection.to_owned(), sealed };
        open(&self.sealer, &token).map(Some)
    }

    /// Stores `json` as `connection`'s token, sealed.
    pub(crate) async fn save(&self, connection: &str, json: &str) -> Result<()> {
        let sealed = self.sealer.seal_bound(&bound_to(&self.instance, connection), json)?;
        let token = StoredToken { instance: self.instance.clone(), connection: connection.to_owned(), sealed };
        self.store.save_token(token).await
    }
}

/// What a stored token holds; an error names the instance when it does not open.
pub(super) fn open(sealer: &Sealer, token: &StoredToken) -> Result<String> {
    let what = format!("the instance `{}`'s OAuth2 token", token.instance);
    sealer.open_bound(&bound_to(&token.instance, &token.connection), &what, &token.sealed)
}

/// `token` sealed again with the sealer's first key.
pub(super) fn seal_again(sealer: &Sealer, token: &StoredToken) -> Result<String> {
    sealer.seal_bound(&bound_to(&token.instance, &token.connection), &open(sealer, token)?)
}

/// A token opens only for the instance and connection it was stored for.
fn bound_to(instance: &str, connection: &str) -> String {
    format!("{instance}\u{0}oauth2\u{0}{connection}")
}
