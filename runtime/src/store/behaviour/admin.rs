//! What the operator's view reads and writes: admin tokens, pages of runs, the queue's depth.

use super::on_every_store;
use super::records::attempt;
use crate::model::RunStatus;
use crate::store::{Outcome, RunFilter};

on_every_store! {
    async fn an_admin_token_is_found_by_its_digest_until_it_is_revoked(store: TestStore) {
        let store = &store.store;
        assert!(store.create_admin_token("ops", "d1").await.unwrap());
        assert!(!store.create_admin_token("ops", "d2").await.unwrap(), "the name is taken");
        assert!(store.create_admin_token("ci", "d3").await.unwrap());
        assert_eq!(store.admin_token_named("d1").await.unwrap().as_deref(), Some("ops"));
        assert_eq!(store.admin_token_named("d2").await.unwrap(), None);
        assert!(store.create_admin_token("ci-b", "d4").await.unwrap());
        let names: Vec<String> = store.admin_tokens().await.unwrap().into_iter().map(|token| token.name).collect();
        assert_eq!(names, ["ci", "ci-b", "ops"], "in byte order on every store");
        assert!(store.revoke_admin_token("ops").await.unwrap());
        assert!(!store.revoke_admin_token("ops").await.unwrap(), "revoked already");
        assert_eq!(store.admin_token_named("d1").await.unwrap(), None);
        let ops = store.admin_tokens().await.unwrap().into_iter().find(|token| token.name == "ops").unwrap();
        assert!(ops.revoked_at.is_some(), "a revoked token is kept, as revoked");
        assert!(store.create_admin_token("ops", "d5").await.unwrap(), "a revoked token's name is free again");
        assert_eq!(store.admin_token_named("d5").await.unwrap().as_deref(), Some("ops"));
        assert_eq!(store.admin_token_named("d1").await.unwrap(), None, "the old value stays refused");
    }

    async fn runs_are_listed_a_page_at_a_time_by_their_cursor_and_time(store: TestStore) {
        let mut runs = Vec::new();
        for _ in 0..5 {
            runs.push(store.queued("import").await);
        }
        let page = |before, limit| RunFilter { before, limit, ..RunFilter::default() };
        let ids = |page: Vec<crate::model::RunSummary>| page.into_iter().map(|run| run.id).collect::<Vec<_>>();
        let first = ids(store.store.runs(&page(None, 2)).await.unwrap());
        assert_eq!(first, [runs[4], runs[3]]);
        let second = ids(store.store.runs(&page(Some(runs[3]), 2)).await.unwrap());
        assert_eq!(second, [runs[2], runs[1]]);
        let last = ids(store.store.runs(&page(Some(runs[1]), 2)).await.unwrap());
        assert_eq!(last, [runs[0]]);

        // Since is inclusive, until exclusive: a run created at the bound is in one, not the other.
        let created = store.store.run(runs[4]).await.unwrap().unwrap().summary.created_at;
        let (newest, store) = (runs[4], &store);
        let count = async |since, until| {
            let filter = RunFilter { since, until, limit: 10, ..RunFilter::default() };
            store.store.runs(&filter).await.unwrap().iter().filter(|run| run.id == newest).count()
        };
        assert_eq!(count(Some(created), None).await, 1);
        assert_eq!(count(None, Some(created)).await, 0);
        assert_eq!(count(Some(created + jiff::SignedDuration::from_millis(1)), None).await, 0);
        assert_eq!(count(None, Some(created + jiff::SignedDuration::from_millis(1))).await, 1);
    }

    async fn the_queue_depth_counts_the_runs_waiting(store: TestStore) {
        let (retried, done) = (store.queued("import").await, store.queued("import").await);
        assert_eq!(store.store.queue_depth().await.unwrap(), 2);
        assert_eq!(store.claim("import").await.len(), 2);
        assert_eq!(store.store.queue_depth().await.unwrap(), 0, "running runs wait for nothing");
        store.store.finish(attempt(done, 1, Outcome::Succeeded(None))).await.unwrap();
        let due_at = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
        store.store.finish(attempt(retried, 1, Outcome::Retry { error: "later".into(), due_at })).await.unwrap();
        assert_eq!(store.store.queue_depth().await.unwrap(), 1, "a failed run waits for its retry");
        let succeeded = RunFilter { status: Some(RunStatus::Succeeded), limit: 10, ..RunFilter::default() };
        assert_eq!(store.store.runs(&succeeded).await.unwrap()[0].id, done);
    }
}
