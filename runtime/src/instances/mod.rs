//! Customer instances: their stored records, and each one's typed configuration, cached.

mod admin_tokens;
mod cache;
mod sealing;
mod tokens;

pub(crate) use admin_tokens::{AdminTokens, FIRST_TOKEN};
pub(crate) use sealing::Sealer;
pub(crate) use tokens::Tokens;

use crate::model::{Config, Error, InstanceRecord, ParsedConfig, Result, RunId};
use crate::store::Store;
use cache::InstanceCache;
use std::sync::Arc;
use std::time::Duration;

/// How often a serving process brings its cache in line with the store, so an instance
/// activated or changed by another process (the CLI) is seen without a restart; a store shared
/// by servers also says at once when another changed one (`Store::instances_changed`).
const REFRESH: Duration = Duration::from_secs(1);

/// The instances of an integration, read and written through the store, with their typed
/// configuration cached.
pub(crate) struct Instances<C> {
    store: Arc<dyn Store>,
    cache: InstanceCache<C>,
    /// Seals configurations as they are stored, opens them as they are read.
    sealer: Arc<Sealer>,
}

impl<C: Config> Instances<C> {
    pub(crate) fn new(store: Arc<dyn Store>, sealer: Arc<Sealer>) -> Instances<C> {
        Instances { store, cache: InstanceCache::new(sealer.clone()), sealer }
    }

    /// The configuration of the active instance `name`, or `None` when it is not active.
    pub(crate) async fn config(&self, name: &str) -> Result<Option<Arc<C>>> {
        if let Some(known) = self.cache.get(name) {
            return Ok(known);
        }
        match self.store.instance(name).await? {
            Some(record) => self.cache.update(&record),
            None => Ok(None),
        }
    }

    /// The stored record of `name`.
    pub(crate) async fn stored(&self, name: &str) -> Result<Option<InstanceRecord>> {
        self.store.instance(name).await
    }

    /// Every stored instance, active or not; the cache takes them in on the way.
    pub(crate) async fn all(&self) -> Result<Vec<InstanceRecord>> {
        let records = self.store.instances().await?;
        for record in &records {
            if let Err(error) = self.cache.update(record) {
                tracing::error!(instance = record.name, %error, "the stored configuration no longer fits");
            }
        }
        Ok(records)
    }

    /// The names of the active instances, as the store has them now.
    pub(crate) async fn active(&self) -> Result<Vec<String>> {
        let records = self.store.instances().await?;
        Ok(records.into_iter().filter(|record| record.active).map(|record| record.name).collect())
    }

    /// Every instance's configuration (`active_only`: every active one's) and every stored
    /// OAuth2 token opens with the key file's keys; the error names the first that does not (a
    /// server refuses to start without its key rather than answering every delivery 503).
    pub(crate) async fn check_sealed(&self, active_only: bool) -> Result<()> {
        for record in self.store.instances().await?.iter().filter(|record| record.active || !active_only) {
            self.sealer.open(&record.name, &record.config)?;
        }
        for token in self.store.tokens().await? {
            tokens::open(&self.sealer, &token)?;
        }
        Ok(())
    }

    /// The token of run `id`'s status URL: whoever holds it may read the run's answer. Derived
    /// from the key file, so nothing is stored; one made before a key rotation finished no longer checks.
    pub(crate) fn run_token(&self, id: RunId) -> Result<String> {
        self.sealer.tag(&format!("run:{id}"))
    }

    /// Whether `token` is run `id`'s.
    pub(crate) fn is_run_token(&self, id: RunId, token: &str) -> bool {
        self.sealer.is_tag(&format!("run:{id}"), token)
    }

    /// The stored OAuth2 tokens of `instance`'s connections.
    pub(crate) fn tokens(&self, instance: &str) -> Tokens {
        Tokens::new(self.store.clone(), self.sealer.clone(), instance)
    }

    /// Seals every instance's configuration and every stored token again with a new key, then
    /// drops the old keys from the key file; returns how many configurations were sealed again
    /// and the new key's id. Each is written only if unchanged since it was read; one activated
    /// (or refreshed) meanwhile is sealed again in the next round.
    pub(crate) async fn rotate_key(&self) -> Result<(usize, String)> {
        self.check_sealed(false).await?;
        let id = self.sealer.begin_rotation()?;
        let mut sealed_again = 0;
        for _ in 0..3 {
            let mut changes = Vec::new();
            for record in self.store.instances().await? {
                if !self.sealer.sealed_with(&record.config, &id) {
                    let plain = self.sealer.open(&record.name, &record.config)?;
                    changes.push((record.name.clone(), record.version, self.sealer.seal(&record.name, &plain)?));
                }
            }
            let mut token_changes = Vec::new();
            for token in self.store.tokens().await? {
                if !self.sealer.sealed_with(&token.sealed, &id) {
                    let sealed = tokens::seal_again(&self.sealer, &token)?;
                    token_changes.push((token, sealed));
                }
            }
            if changes.is_empty() && token_changes.is_empty() {
                self.sealer.finish_rotation()?;
                return Ok((sealed_again, id));
            }
            sealed_again += self.store.replace_configs(changes).await?;
            self.store.replace_tokens(token_changes).await?;
        }
        Err(Error::msg(
            "instances kept being activated (or their tokens refreshed) while they were sealed again; run `instances rotate-key` again",
        ))
    }

    /// Where the key that seals configurations is kept.
    pub(crate) fn key_file(&self) -> &std::path::Path {
        self.sealer.path()
    }

    /// Stores `name` as active with `config`, replacing an earlier configuration.
    pub(crate) async fn activate(&self, name: &str, config: ParsedConfig<C>) -> Result<()> {
        let record = self.store.activate_instance(name, &self.sealer.seal(name, &config.json)?).await?;
        self.cache.update_with(&record, Some(config.config)).map(drop)
    }

    /// Puts back `name` as `previous` was (inactive if there was none).
    pub(crate) async fn restore(&self, name: &str, previous: Option<InstanceRecord>) -> Result<()> {
        let record = self.store.restore_instance(name, previous).await?;
        self.cache.update(&record).map(drop)
    }

    /// Records what `name`'s `on_activate` registered (its output, as JSON).
    pub(crate) async fn record_registration(&self, name: &str, registration: Option<String>) -> Result<()> {
        self.store.record_registration(name, registration).await
    }

    /// Marks `name` inactive.
    pub(crate) async fn deactivate(&self, name: &str) -> Result<()> {
        if let Some(record) = self.store.deactivate_instance(name).await? {
            self.cache.update(&record)?;
        }
        Ok(())
    }

    /// Keeps the cache in line with the store, for a serving process: at once when the store
    /// says another process changed an instance, and every `REFRESH` in any case.
    pub(crate) async fn keep_fresh(self: Arc<Self>) {
        loop {
            tokio::select! {
                () = tokio::time::sleep(REFRESH) => {}
                () = self.store.instances_changed() => {}
            }
            if let Err(error) = self.all().await {
                tracing::warn!(error = %format!("{error:#}"), "refreshing instances failed");
            }
        }
    }
}
