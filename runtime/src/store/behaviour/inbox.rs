//! The inbox: what is stored, what is refused, claims, leases and releases.

use super::on_every_store;
use super::test_store::{LEASE, claim, delivery, entry};
use crate::model::{Cause, RunStatus};
use crate::store::{Enqueued, Start, WhenFull};
use std::time::Duration;

async fn status(store: &dyn crate::store::Store, run: crate::model::RunId) -> (RunStatus, u32) {
    let detail = store.run(run).await.expect("reading the run").expect("the run exists");
    (detail.summary.status, detail.summary.attempts)
}

on_every_store! {
    async fn a_delivery_id_is_one_run_within_its_scope(store: TestStore) {
        let first = store.store.enqueue(delivery("push", "GitHub", "d-1"), WhenFull::Wait).await.unwrap();
        let Enqueued::Created(first) = first else { panic!("not stored: {first:?}") };
        let again = store.store.enqueue(delivery("issues", "GitHub", "d-1"), WhenFull::Wait).await.unwrap();
        assert_eq!(again, Enqueued::Duplicate(first));
        let elsewhere = store.store.enqueue(delivery("push", "Stripe", "d-1"), WhenFull::Wait).await.unwrap();
        assert!(matches!(elsewhere, Enqueued::Created(_)), "another scope: {elsewhere:?}");
    }

    async fn ids_kept_under_an_event_flow_move_to_its_endpoint(store: TestStore) {
        let Enqueued::Created(old) = store.store.enqueue(delivery("push", "push", "d-1"), WhenFull::Wait).await.unwrap()
        else {
            panic!("not stored")
        };
        store.store.move_delivery_ids(vec![("push", "GitHub")]).await.unwrap();
        assert_eq!(store.store.enqueue(delivery("push", "GitHub", "d-1"), WhenFull::Wait).await.unwrap(), Enqueued::Duplicate(old));
        store.store.move_delivery_ids(vec![("push", "GitHub")]).await.unwrap();
        assert_eq!(store.store.enqueue(delivery("push", "GitHub", "d-1"), WhenFull::Wait).await.unwrap(), Enqueued::Duplicate(old));
    }

    async fn nothing_is_stored_for_an_inactive_instance(store: TestStore) {
        assert_eq!(store.add("import", "globex", Start::Queued).await, Enqueued::InstanceInactive, "never activated");
        store.store.deactivate_instance("acme").await.unwrap().expect("acme was active");
        assert_eq!(store.add("import", "acme", Start::Queued).await, Enqueued::InstanceInactive);
        assert!(store.store.runs(&crate::store::RunFilter { limit: 10, ..Default::default() }).await.unwrap().is_empty());
    }

    async fn a_claimed_run_is_running_in_its_first_attempt_and_claimed_once(store: TestStore) {
        let run = store.queued("import").await;
        assert_eq!(store.claim("import").await, [run]);
        assert_eq!(status(&*store.store, run).await, (RunStatus::Running, 1));
        assert!(store.claim("import").await.is_empty(), "claimed already");
        assert!(store.claim("export").await.is_empty(), "another flow's runs are not claimed");
    }

    async fn a_released_run_goes_back_uncounted_and_a_lease_that_ran_out_is_claimed_again(store: TestStore) {
        let run = store.queued("import").await;
        assert_eq!(store.claim("import").await, [run]);
        store.store.release(vec![run]).await.unwrap();
        assert_eq!(status(&*store.store, run).await, (RunStatus::Queued, 0));

        let flows = vec![crate::store::FlowClaim { flow: "import", limit: 1, concurrency: None, ordered: false, passing_over: Vec::new() }];
        let claimed = store.store.claim(flows, 1, Duration::from_millis(1)).await.unwrap();
        assert_eq!(claimed.iter().map(|run| run.id).collect::<Vec<_>>(), [run]);
        tokio::time::sleep(Duration::from_millis(20)).await;
        store.store.maintain().await.unwrap();
        assert_eq!(status(&*store.store, run).await, (RunStatus::Queued, 1), "the lease ran out");
        assert_eq!(store.claim("import").await, [run]);
        assert_eq!(status(&*store.store, run).await, (RunStatus::Running, 2), "the second attempt");
    }

    async fn a_renewed_lease_holds_and_a_hook_whose_lease_ran_out_is_dead(store: TestStore) {
        let Enqueued::Created(run) = store.add("import", "acme", Start::Leased(Duration::from_millis(1))).await else {
            panic!("not stored")
        };
        store.store.heartbeat(vec![run], LEASE).await.unwrap();
        let mut hook = entry("register_webhook", "acme", Start::Leased(Duration::from_millis(1)));
        hook.cause = Cause::Activate;
        let Enqueued::Created(hook) = store.store.enqueue(hook, WhenFull::Wait).await.unwrap() else { panic!("not stored") };
        tokio::time::sleep(Duration::from_millis(20)).await;
        store.store.maintain().await.unwrap();
        assert_eq!(status(&*store.store, run).await, (RunStatus::Running, 1), "renewed");
        assert_eq!(status(&*store.store, hook).await.0, RunStatus::Dead);
        let error = store.store.run(hook).await.unwrap().unwrap().error.unwrap();
        assert!(error.contains("stopped before it finished"), "{error}");
    }

    async fn a_claim_passes_over_instances_holding_their_share(store: TestStore) {
        store.store.activate_instance("quiet", "{}").await.unwrap();
        let flood = [store.queued("import").await, store.queued("import").await];
        let quiet = store.queued_for("import", "quiet").await;
        let flows = vec![crate::store::FlowClaim {
            flow: "import", limit: 10, concurrency: None, ordered: false, passing_over: vec!["acme".into()],
        }];
        let claimed: Vec<_> = store.store.claim(flows, 10, LEASE).await.unwrap().into_iter().map(|run| run.id).collect();
        assert_eq!(claimed, [quiet]);
        assert_eq!(store.claim("import").await, flood);
    }

    async fn an_ordered_flow_runs_one_run_of_an_instance_at_a_time(store: TestStore) {
        let mut ordered = entry("sync", "acme", Start::Queued);
        ordered.ordered = true;
        let Enqueued::Created(first) = store.store.enqueue(ordered, WhenFull::Wait).await.unwrap() else { panic!() };
        let mut ordered = entry("sync", "acme", Start::Queued);
        ordered.ordered = true;
        let Enqueued::Created(second) = store.store.enqueue(ordered, WhenFull::Wait).await.unwrap() else { panic!() };
        assert_eq!(claim(&*store.store, "sync", None, true).await, [first]);
        assert!(claim(&*store.store, "sync", None, true).await.is_empty(), "the first is unfinished");
        store.store.release(vec![first]).await.unwrap();
        assert_eq!(claim(&*store.store, "sync", None, true).await, [first], "still first");
        store.store.finish(crate::store::behaviour::records::attempt(first, 1, crate::store::Outcome::Succeeded(None))).await.unwrap();
        assert_eq!(claim(&*store.store, "sync", None, true).await, [second]);
    }

    async fn a_flows_concurrency_counts_its_running_runs(store: TestStore) {
        for _ in 0..3 {
            store.queued("export").await;
        }
        assert_eq!(claim(&*store.store, "export", Some(2), false).await.len(), 2);
        assert!(claim(&*store.store, "export", Some(2), false).await.is_empty(), "two are running");
    }

    async fn a_run_skipped_while_another_is_unfinished(store: TestStore) {
        let running = store.queued("poll").await;
        let mut overlap = entry("poll", "acme", Start::Queued);
        overlap.skip_if_unfinished = true;
        assert_eq!(store.store.enqueue(overlap, WhenFull::Wait).await.unwrap(), Enqueued::Unfinished(running));
    }

    async fn a_failed_run_is_due_when_its_time_comes_or_when_hurried(store: TestStore) {
        let run = store.queued("import").await;
        assert_eq!(store.claim("import").await, [run]);
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3600);
        store.store.finish(crate::store::behaviour::records::attempt(run, 1, crate::store::Outcome::Retry { error: "502".into(), due_at: later })).await.unwrap();
        assert!(store.claim("import").await.is_empty(), "due in an hour");
        assert!(store.store.make_due(run).await.unwrap());
        assert!(!store.store.make_due(run).await.unwrap(), "due already");
        assert_eq!(store.claim("import").await, [run]);
        assert_eq!(status(&*store.store, run).await, (RunStatus::Running, 2));
    }
}
