//! A store of a harness's own, in a new directory under the system's temporary one, removed
//! with the harness.

use crate::instances::Sealer;
use crate::model::{Error, Result};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

pub(super) struct TempStore {
    dir: PathBuf,
}

impl TempStore {
    pub(super) fn new() -> Result<TempStore> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let name = format!("aqueduct-test-{}-{}-{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&dir)
            .map_err(|error| Error::msg(format!("cannot create a store for the test in {}: {error}", dir.display())))?;
        Ok(TempStore { dir })
    }

    pub(super) fn url(&self) -> String {
        format!("sqlite:{}", self.dir.join("test.db").display())
    }

    /// The store's own key file, made now (quietly: there is nothing to back up).
    pub(super) fn key_file(&self) -> Result<PathBuf> {
        let path = self.dir.join("test.db.key");
        Sealer::generate_at(path.clone())?;
        Ok(path)
    }
}

impl Drop for TempStore {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
