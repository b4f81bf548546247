//! A schema of its own in a PostgreSQL database, for a test's store, dropped with it: tests
//! share one database and run side by side.

use crate::model::{Error, Result};
use sqlx::{Connection, PgConnection};
use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) struct ScratchSchema {
    database: String,
    name: String,
    /// The store URL: the database, this schema first on its search path.
    pub(crate) url: String,
}

impl ScratchSchema {
    /// A new schema named `prefix_…` in the database at `database`.
    pub(crate) async fn create(database: &str, prefix: &str) -> Result<ScratchSchema> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let name = format!(
            "{prefix}_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            nanos % 1_000_000_000
        );
        let cannot =
            |error: sqlx::Error| Error::msg(format!("cannot make a schema for the test in {database}: {error}"));
        let mut connection = PgConnection::connect(database).await.map_err(cannot)?;
        sqlx::raw_sql(&format!("CREATE SCHEMA {name}")).execute(&mut connection).await.map_err(cannot)?;
        let separator = if database.contains('?') { '&' } else { '?' };
        let url = format!("{database}{separator}options[search_path]={name}");
        Ok(ScratchSchema { database: database.to_owned(), name, url })
    }
}

impl Drop for ScratchSchema {
    fn drop(&mut self) {
        let (database, name) = (self.database.clone(), self.name.clone());
        // Dropped on a thread of its own: a drop cannot wait on the test's runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut connection = PgConnection::connect(&database).await.map_err(std::io::Error::other)?;
                sqlx::raw_sql(&format!("DROP SCHEMA {name} CASCADE"))
                    .execute(&mut connection)
                    .await
                    .map_err(std::io::Error::other)
            })
        });
        if let Ok(Err(error)) = dropped.join() {
            eprintln!("the test's schema {} was not dropped: {error}", self.name);
        }
    }
}
