//! A store of a test's own, with one active instance `acme`, and what the tests ask of it.

use crate::model::{Cause, Dedupe, Request, RunId};
use crate::store::{Enqueued, Entry, FlowClaim, Role, Start, Store, WhenFull};
use std::sync::Arc;
use std::time::Duration;

pub(crate) struct TestStore {
    pub(crate) store: Arc<dyn Store>,
    url: String,
    _cleanup: Cleanup,
}

enum Cleanup {
    Directory(#[allow(dead_code)] tempfile::TempDir),
    #[cfg(feature = "postgres")]
    Schema {
        server: String,
        schema: String,
    },
}

#[cfg(feature = "postgres")]
fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("{prefix}_{}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed), nanos % 1_000_000_000)
}

impl TestStore {
    pub(crate) async fn sqlite() -> TestStore {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite:{}", dir.path().join("store.db").display());
        TestStore::opened(url, Cleanup::Directory(dir)).await
    }

    /// A store in a new schema of the test server, or `None` when the server cannot be reached
    /// and services are not required.
    #[cfg(feature = "postgres")]
    pub(crate) async fn postgres() -> Option<TestStore> {
        use sqlx::Connection;
        let server =
            std::env::var("AQUEDUCT_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1/test".to_owned());
        let mut connection = match sqlx::PgConnection::connect(&server).await {
            Ok(connection) => connection,
            Err(error) if std::env::var("AQUEDUCT_REQUIRE_SERVICES").as_deref() == Ok("1") => {
                panic!("PostgreSQL at {server} is required (AQUEDUCT_REQUIRE_SERVICES=1): {error}")
            }
            Err(error) => {
                eprintln!("skipped: PostgreSQL at {server} cannot be reached: {error}");
                return None;
            }
        };
        let schema = unique("aqueduct_test");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut connection)
            .await
            .expect("creating a schema for the test");
        let separator = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{separator}options[search_path]={schema}");
        Some(TestStore::opened(url, Cleanup::Schema { server, schema }).await)
    }

    async fn opened(url: String, cleanup: Cleanup) -> TestStore {
        let store = crate::store::open(&url, Role::Command).await.expect("opening the test store");
        store.activate_instance("acme", "{}").await.expect("activating acme");
        TestStore { store, url, _cleanup: cleanup }
    }

    /// The store's URL, for another connection to it.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The store as another server sees it: a store of its own on the same database (on
    /// SQLite, which one server serves, the same store).
    pub(crate) async fn another_server(&self) -> Arc<dyn Store> {
        if self.url.starts_with("sqlite:") {
            return self.store.clone();
        }
        crate::store::open(&self.url, Role::Command).await.expect("opening the store again")
    }

    /// Adds a run of `flow` for `instance` as the engine's admission would.
    pub(crate) async fn add(&self, flow: &'static str, instance: &str, start: Start) -> Enqueued {
        self.store.enqueue(entry(flow, instance, start), WhenFull::Wait).await.expect("enqueueing")
    }

    /// Adds a queued run for `acme` that must be stored, and returns its id.
    pub(crate) async fn queued(&self, flow: &'static str) -> RunId {
        self.queued_for(flow, "acme").await
    }

    /// Adds a queued run for `instance` that must be stored, and returns its id.
    pub(crate) async fn queued_for(&self, flow: &'static str, instance: &str) -> RunId {
        match self.add(flow, instance, Start::Queued).await {
            Enqueued::Created(id) => id,
            other => panic!("not stored: {other:?}"),
        }
    }

    /// Claims every due run of `flow` there is room for, up to 100.
    pub(crate) async fn claim(&self, flow: &'static str) -> Vec<RunId> {
        claim(&*self.store, flow, None, false).await
    }
}

/// A webhook run of `flow` for `instance`, without a delivery id.
pub(crate) fn entry(flow: &'static str, instance: &str, start: Start) -> Entry {
    Entry {
        flow,
        instance: instance.into(),
        cause: Cause::Webhook,
        request: Arc::new(Request::new(None, http::HeaderMap::new(), "{}")),
        dedupe: None,
        start,
        replay: None,
        ordered: false,
        skip_if_unfinished: false,
    }
}

/// The same with a delivery id, remembered for a minute.
pub(crate) fn delivery(flow: &'static str, scope: &'static str, key: &str) -> Entry {
    Entry {
        dedupe: Some(Dedupe { scope, key: key.into(), window: Duration::from_secs(60) }),
        ..entry(flow, "acme", Start::Queued)
    }
}

pub(crate) const LEASE: Duration = Duration::from_secs(30);

pub(crate) async fn claim(
    store: &dyn Store,
    flow: &'static str,
    concurrency: Option<u32>,
    ordered: bool,
) -> Vec<RunId> {
    let flows = vec![FlowClaim { flow, limit: 100, concurrency, ordered, passing_over: Vec::new() }];
    store.claim(flows, 100, LEASE).await.expect("claiming").into_iter().map(|run| run.id).collect()
}

impl Drop for TestStore {
    fn drop(&mut self) {
        #[cfg(feature = "postgres")]
        if let Cleanup::Schema { server, schema } = &self._cleanup {
            let (server, schema, name) = (server.clone(), schema.clone(), schema.clone());
            // Dropped on a thread of its own: a drop cannot wait on the test's runtime.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                runtime.block_on(async {
                    use sqlx::Connection;
                    let mut connection = sqlx::PgConnection::connect(&server).await.map_err(std::io::Error::other)?;
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                        .execute(&mut connection)
                        .await
                        .map_err(std::io::Error::other)
                })
            });
            if let Ok(Err(error)) = dropped.join() {
                eprintln!("the test's schema {name} was not dropped: {error}");
            }
        }
    }
}
