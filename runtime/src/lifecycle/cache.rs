//! The serving process's view of which instances are active, with their typed configuration.

use super::config_file::decode;
use crate::error::Result;
use crate::integration::Config;
use crate::store::{InstanceRecord, Store};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Instances by name, with the version of the store record each entry reflects. Filled on
/// first use and refreshed from the store every second, so an instance activated or changed
/// by another process (the CLI) is seen without a restart. Versions only move forward: a
/// refresh that read the store before this process activated or deactivated an instance
/// cannot bring back the older state. (The inbox itself refuses runs for an inactive instance.)
pub(crate) struct InstanceCache<C> {
    known: RwLock<HashMap<String, Cached<C>>>,
}

struct Cached<C> {
    version: i64,
    /// `None` for an instance known to be inactive.
    config: Option<Arc<C>>,
}

impl<C> Default for InstanceCache<C> {
    fn default() -> Self {
        InstanceCache { known: RwLock::new(HashMap::new()) }
    }
}

impl<C: Config> InstanceCache<C> {
    /// The configuration of the active instance `name`, or `None` when it is not active.
    pub(crate) async fn get(&self, store: &dyn Store, name: &str) -> Result<Option<Arc<C>>> {
        if let Some(cached) = self.known.read().expect("instance cache lock").get(name) {
            return Ok(cached.config.clone());
        }
        let Some(record) = store.instance(name).await? else { return Ok(None) };
        self.update(&record)
    }

    /// Brings the cache in line with the store.
    pub(crate) async fn refresh(&self, store: &dyn Store) -> Result<()> {
        for record in store.instances().await? {
            if let Err(error) = self.update(&record) {
                tracing::error!(instance = record.name, %error, "the stored configuration no longer fits");
            }
        }
        Ok(())
    }

    /// Takes in one stored instance, unless the cache already knows a newer version; returns
    /// the instance's configuration if it is active.
    pub(crate) fn update(&self, record: &InstanceRecord) -> Result<Option<Arc<C>>> {
        if let Some(cached) = self.known.read().expect("instance cache lock").get(&record.name)
            && cached.version >= record.version
        {
            return Ok(cached.config.clone());
        }
        // Decoded outside the lock; a concurrent newer update wins below.
        let config = if record.active { Some(Arc::new(decode::<C>(&record.config)?)) } else { None };
        let mut known = self.known.write().expect("instance cache lock");
        let entry = known.entry(record.name.clone()).or_insert(Cached { version: i64::MIN, config: None });
        if entry.version < record.version {
            *entry = Cached { version: record.version, config };
        }
        Ok(entry.config.clone())
    }
}
