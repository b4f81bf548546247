//! A store of a harness's own, in a new directory under the system's temporary one, removed
//! with the harness; or, when `AQUEDUCT_TEST_STORE` names a PostgreSQL database (and the
//! `postgres` feature is on), a new schema in it, dropped with the harness.

use crate::instances::Sealer;
use crate::model::{Error, Result};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

pub(super) struct TempStore {
    /// The store's directory (its key file's, with a PostgreSQL store).
    dir: PathBuf,
    #[cfg(feature = "postgres")]
    schema: Option<crate::store::ScratchSchema>,
}

/// The variable that puts harnesses' stores in a PostgreSQL database.
const STORE_VARIABLE: &str = "AQUEDUCT_TEST_STORE";

impl TempStore {
    pub(super) async fn new() -> Result<TempStore> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let name = format!("aqueduct-test-{}-{}-{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&dir)
            .map_err(|error| Error::msg(format!("cannot create a store for the test in {}: {error}", dir.display())))?;
        let database = std::env::var(STORE_VARIABLE).ok().filter(|url| !url.is_empty());
        #[cfg(feature = "postgres")]
        let schema = match database {
            Some(database) => Some(crate::store::ScratchSchema::create(&database, "aqueduct_harness").await?),
            None => None,
        };
        #[cfg(not(feature = "postgres"))]
        if let Some(database) = database {
            return Err(Error::msg(format!(
                "{STORE_VARIABLE} is {database}, but this build has no PostgreSQL store; enable aqueduct's `postgres` feature"
            )));
        }
        Ok(TempStore {
            dir,
            #[cfg(feature = "postgres")]
            schema,
        })
    }

    pub(super) fn url(&self) -> String {
        #[cfg(feature = "postgres")]
        if let Some(schema) = &self.schema {
            return schema.url.clone();
        }
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
