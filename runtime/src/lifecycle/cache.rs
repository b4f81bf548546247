//! The serving process's view of which instances are active, with their typed configuration.

use super::config_file::decode;
use crate::error::Result;
use crate::integration::Config;
use crate::store::{InstanceRecord, Store};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Active instances by name. Filled on first use and refreshed from the store every second,
/// so an instance activated or changed by another process (the CLI) is seen without a restart;
/// the inbox itself refuses runs for an instance deactivated in between.
pub(crate) struct InstanceCache<C> {
    active: RwLock<HashMap<String, CachedInstance<C>>>,
}

struct CachedInstance<C> {
    version: i64,
    config: Arc<C>,
}

impl<C> Default for InstanceCache<C> {
    fn default() -> Self {
        InstanceCache { active: RwLock::new(HashMap::new()) }
    }
}

impl<C: Config> InstanceCache<C> {
    /// The configuration of the active instance `name`, or `None` when it is not active.
    pub(crate) async fn get(&self, store: &dyn Store, name: &str) -> Result<Option<Arc<C>>> {
        if let Some(cached) = self.active.read().expect("instance cache lock").get(name) {
            return Ok(Some(cached.config.clone()));
        }
        let Some(record) = store.instance(name).await? else { return Ok(None) };
        self.update(&record)
    }

    /// Brings the cache in line with the store.
    pub(crate) async fn refresh(&self, store: &dyn Store) -> Result<()> {
        let records = store.instances().await?;
        for record in &records {
            if let Err(error) = self.update(record) {
                tracing::error!(instance = record.name, %error, "the stored configuration no longer fits");
            }
        }
        let active: Vec<&str> =
            records.iter().filter(|record| record.active).map(|record| record.name.as_str()).collect();
        self.active.write().expect("instance cache lock").retain(|name, _| active.contains(&name.as_str()));
        Ok(())
    }

    /// Takes in one stored instance; returns its configuration if it is active.
    pub(crate) fn update(&self, record: &InstanceRecord) -> Result<Option<Arc<C>>> {
        if !record.active {
            self.active.write().expect("instance cache lock").remove(&record.name);
            return Ok(None);
        }
        if let Some(cached) = self.active.read().expect("instance cache lock").get(&record.name)
            && cached.version == record.version
        {
            return Ok(Some(cached.config.clone()));
        }
        let config = Arc::new(decode::<C>(&record.config)?);
        let cached = CachedInstance { version: record.version, config: config.clone() };
        self.active.write().expect("instance cache lock").insert(record.name.clone(), cached);
        Ok(Some(config))
    }
}
