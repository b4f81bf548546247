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

/// What goes when the test ends: held, not read.
#[allow(dead_code)]
enum Cleanup {
    Directory(tempfile::TempDir),
    #[cfg(feature = "postgres")]
    Schema(crate::store::ScratchSchema),
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
        let server =
            std::env::var("AQUEDUCT_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1/test".to_owned());
        let schema = match crate::store::ScratchSchema::create(&server, "aqueduct_test").await {
            Ok(schema) => schema,
            Err(error) if std::env::var("AQUEDUCT_REQUIRE_SERVICES").as_deref() == Ok("1") => {
                panic!("PostgreSQL at {server} is required (AQUEDUCT_REQUIRE_SERVICES=1): {error}")
            }
            Err(error) => {
                eprintln!("skipped: {error}");
                return None;
            }
        };
        Some(TestStore::opened(schema.url.clone(), Cleanup::Schema(schema)).await)
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
