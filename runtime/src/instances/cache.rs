//! A process's view of which instances are active, with their typed configuration.

use super::Sealer;
use crate::model::{Config, InstanceRecord, Result, decode_config};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Instances by name, with the version of the store record each entry reflects. Versions only
/// move forward: a refresh that read the store before this process activated or deactivated
/// an instance cannot bring back the older state. (The inbox itself refuses runs for an
/// inactive instance.)
pub(super) struct InstanceCache<C> {
    known: RwLock<HashMap<String, Cached<C>>>,
    sealer: Arc<Sealer>,
}

struct Cached<C> {
    version: i64,
    /// `None` for an instance known to be inactive.
    config: Option<Arc<C>>,
}

impl<C: Config> InstanceCache<C> {
    pub(super) fn new(sealer: Arc<Sealer>) -> Self {
        InstanceCache { known: RwLock::new(HashMap::new()), sealer }
    }

    /// What the cache knows of `name`: `Some(None)` for an instance known to be inactive,
    /// `None` for one it has not seen.
    pub(super) fn get(&self, name: &str) -> Option<Option<Arc<C>>> {
        self.known.read().expect("instance cache lock").get(name).map(|cached| cached.config.clone())
    }

    /// Takes in one stored instance, unless the cache already knows a newer version; returns
    /// the instance's configuration if it is active.
    pub(super) fn update(&self, record: &InstanceRecord) -> Result<Option<Arc<C>>> {
        self.update_with(record, None)
    }

    /// As [`InstanceCache::update`], with the record's configuration already decoded.
    pub(super) fn update_with(&self, record: &InstanceRecord, decoded: Option<C>) -> Result<Option<Arc<C>>> {
        if let Some(cached) = self.known.read().expect("instance cache lock").get(&record.name)
            && cached.version >= record.version
        {
            return Ok(cached.config.clone());
        }
        // Decoded outside the lock; a concurrent newer update wins below.
        let config = match (record.active, decoded) {
            (false, _) => None,
            (true, Some(config)) => Some(Arc::new(config)),
            (true, None) => Some(Arc::new(decode_config::<C>(&self.sealer.open(&record.name, &record.config)?)?)),
        };
        let mut known = self.known.write().expect("instance cache lock");
        let entry = known.entry(record.name.clone()).or_insert(Cached { version: i64::MIN, config: None });
        if entry.version < record.version {
            *entry = Cached { version: record.version, config };
        }
        Ok(entry.config.clone())
    }
}
