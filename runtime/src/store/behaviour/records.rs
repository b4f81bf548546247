//! What runs record beside the inbox: finished attempts, state, steps, files, echoes, tokens,
//! schedules, instances, and pruning.

use super::on_every_store;
use crate::model::{EchoMark, RunId, RunStatus};
use crate::store::{
    CompletedStep, FileDone, FileVersion, Finished, FinishedAttempt, Kept, Outcome, Paused, Pruning, StateWrite,
    StoredToken,
};
use std::sync::Arc;
use std::time::Duration;

/// Attempt `attempt` of `run`, ended so, with nothing else to record.
pub(crate) fn attempt(run: RunId, attempt: u32, outcome: Outcome) -> FinishedAttempt {
    FinishedAttempt {
        id: run,
        attempt,
        started_at: jiff::Timestamp::now(),
        outcome,
        steps: Vec::new(),
        logs: Vec::new(),
        state: Vec::new(),
    }
}

fn state(json: &str, read_version: Option<i64>) -> StateWrite {
    StateWrite { flow: "poll".into(), instance: "acme".into(), json: json.into(), read_version }
}

fn echo(record: &str, digest: &str, expires_at: i64) -> EchoMark {
    EchoMark { instance: "acme".into(), system: "crm".into(), record: record.into(), digest: digest.into(), expires_at }
}

fn step(seq: u32, name: &str) -> CompletedStep {
    CompletedStep {
        seq,
        name: name.into(),
        input_digest: None,
        output: format!("{{\"seq\":{seq}}}"),
        attempt: 1,
        duration_ms: 1.5,
    }
}

on_every_store! {
    async fn a_success_is_recorded_with_its_output_and_history(store: TestStore) {
        let run = store.queued("import").await;
        store.claim("import").await;
        let output = serde_json::json!({"imported": 2});
        let finished = store.store.finish(attempt(run, 1, Outcome::Succeeded(Some(output.clone())))).await.unwrap();
        assert_eq!(finished, Finished::Recorded);
        let detail = store.store.run(run).await.unwrap().unwrap();
        assert_eq!(detail.summary.status, RunStatus::Succeeded);
        assert_eq!(detail.output, Some(output));
        assert_eq!(detail.history.len(), 1);
        assert_eq!(detail.body.as_deref(), Some("{}"));
    }

    async fn a_finish_tried_again_after_its_commit_is_recorded_once(store: TestStore) {
        let run = store.queued("import").await;
        store.claim("import").await;
        let finishing = attempt(run, 1, Outcome::Succeeded(None));
        // As a worker whose first answer was lost (PostgreSQL went away after the commit) does.
        store.store.finish(finishing.clone()).await.unwrap();
        store.store.finish(finishing).await.unwrap();
        let detail = store.store.run(run).await.unwrap().unwrap();
        assert_eq!((detail.summary.status, detail.history.len()), (RunStatus::Succeeded, 1), "{:?}", detail.history);
    }

    async fn state_commits_with_a_success_only_when_unchanged_since_read(store: TestStore) {
        let first = store.queued("poll").await;
        let second = store.queued("poll").await;
        store.claim("poll").await;
        let mut finishing = attempt(first, 1, Outcome::Succeeded(None));
        finishing.state = vec![state("1", None)];
        assert_eq!(store.store.finish(finishing).await.unwrap(), Finished::Recorded);
        let mut stale = attempt(second, 1, Outcome::Succeeded(None));
        stale.state = vec![state("1b", None)];
        assert_eq!(store.store.finish(stale).await.unwrap(), Finished::StateChanged);
        let stored = store.store.state("poll", "acme").await.unwrap().unwrap();
        assert_eq!((stored.json.as_str(), stored.version), ("1", 1));
        assert_eq!(store.store.run(second).await.unwrap().unwrap().summary.status, RunStatus::Running, "nothing recorded");
    }

    async fn steps_come_back_in_order_and_carry_over_to_a_replay(store: TestStore) {
        let run = store.queued("import").await;
        store.store.record_step(run, step(1, "Crm.update")).await.unwrap();
        store.store.record_step(run, step(0, "Crm.create")).await.unwrap();
        assert_eq!(store.store.completed_steps(run).await.unwrap(), [step(0, "Crm.create"), step(1, "Crm.update")]);
        store.claim("import").await;
        store.store.finish(attempt(run, 1, Outcome::Dead { error: "gone".into() })).await.unwrap();
        assert_eq!(store.store.replayable(crate::store::Replayable::Dead { flow: None }).await.unwrap(), [run]);
        let mut replay = crate::store::behaviour::test_store::entry("import", "acme", crate::store::Start::Queued);
        replay.replay = Some(crate::store::Replay { of: run, again: false, fresh: false });
        let crate::store::Enqueued::Created(again) = store.store.enqueue(replay, crate::store::WhenFull::Wait).await.unwrap() else {
            panic!("the replay was not stored")
        };
        let carried = store.store.completed_steps(again).await.unwrap();
        assert_eq!(carried.iter().map(|step| (&step.name[..], step.attempt)).collect::<Vec<_>>(), [("Crm.create", 0), ("Crm.update", 0)]);
        assert!(store.store.replayable(crate::store::Replayable::Dead { flow: None }).await.unwrap().is_empty(), "replayed");
        assert_eq!(store.store.stored_run(run).await.unwrap().unwrap().replayed_as, Some(again));
    }

    async fn a_file_is_done_for_its_flow_and_instance_in_the_version_recorded(store: TestStore) {
        let run = store.queued("import").await;
        let version = |file: &str, version: &str| FileVersion { file: file.into(), version: version.into() };
        let done = FileDone { run, flow: "import".into(), instance: "acme".into(), file: version("a.csv", "10:5"), progress: "1 of 2 files".into() };
        store.store.record_file(done).await.unwrap();
        let listed = vec![version("a.csv", "10:5"), version("a.csv", "11:6"), version("b.csv", "10:5")];
        assert_eq!(store.store.files_done("import", "acme", listed.clone()).await.unwrap(), [version("a.csv", "10:5")]);
        assert!(store.store.files_done("export", "acme", listed).await.unwrap().is_empty());
        assert_eq!(store.store.run(run).await.unwrap().unwrap().progress.as_deref(), Some("1 of 2 files"));
    }

    async fn a_report_of_what_was_written_is_an_echo_until_the_system_reports_otherwise(store: TestStore) {
        let later = jiff::Timestamp::now().as_millisecond() + 60_000;
        store.store.mark_echo(echo("ada", "x", later)).await.unwrap();
        assert!(store.store.is_echo(echo("ada", "x", 0)).await.unwrap());
        assert!(store.store.is_echo(echo("ada", "x", 0)).await.unwrap(), "a second report of one write");
        assert!(!store.store.is_echo(echo("grace", "x", 0)).await.unwrap(), "another record");
        assert!(!store.store.is_echo(echo("ada", "y", 0)).await.unwrap());
        assert!(!store.store.is_echo(echo("ada", "x", 0)).await.unwrap(), "the differing report dropped the mark");
        store.store.mark_echo(echo("old", "x", 1)).await.unwrap();
        assert!(!store.store.is_echo(echo("old", "x", 0)).await.unwrap(), "expired");
    }

    async fn a_token_is_replaced_only_as_read_and_forgotten_with_its_instance(store: TestStore) {
        let token = |instance: &str, sealed: &str| StoredToken { instance: instance.into(), connection: "c0ffee".into(), sealed: sealed.into() };
        store.store.save_token(token("acme", "one")).await.unwrap();
        store.store.save_token(token("globex", "g")).await.unwrap();
        store.store.save_token(token("acme", "two")).await.unwrap();
        assert_eq!(store.store.token("acme", "c0ffee").await.unwrap().as_deref(), Some("two"));
        assert_eq!(store.store.replace_tokens(vec![(token("acme", "one"), "three".into())]).await.unwrap(), 0, "stale");
        assert_eq!(store.store.replace_tokens(vec![(token("acme", "two"), "three".into())]).await.unwrap(), 1);
        store.store.deactivate_instance("acme").await.unwrap();
        assert_eq!(store.store.token("acme", "c0ffee").await.unwrap(), None);
        assert_eq!(store.store.tokens().await.unwrap().len(), 1, "another instance's token stays");
    }

    async fn the_last_tick_only_moves_forward_and_flows_pause_per_instance_or_all(store: TestStore) {
        assert_eq!(store.store.last_tick("poll").await.unwrap(), None);
        store.store.record_tick("poll", 2000).await.unwrap();
        store.store.record_tick("poll", 1000).await.unwrap();
        assert_eq!(store.store.last_tick("poll").await.unwrap(), Some(2000));
        let acme = Paused { flow: "poll".into(), instance: Some("acme".into()) };
        let all = Paused { flow: "poll".into(), instance: None };
        assert!(store.store.set_paused(acme.clone(), true).await.unwrap());
        assert!(!store.store.set_paused(acme.clone(), true).await.unwrap(), "paused already");
        assert!(store.store.set_paused(all.clone(), true).await.unwrap());
        assert_eq!(store.store.paused().await.unwrap(), [all.clone(), acme.clone()]);
        assert!(store.store.set_paused(acme, false).await.unwrap());
        assert_eq!(store.store.paused().await.unwrap(), [all]);
    }

    async fn an_instance_is_activated_reconfigured_as_read_and_restored(store: TestStore) {
        let acme = store.store.instance("acme").await.unwrap().unwrap();
        assert!(acme.active);
        store.store.record_registration("acme", Some("{\"hook\":1}".into())).await.unwrap();
        let changes = vec![("acme".to_owned(), acme.version, "{\"v\":2}".to_owned()), ("acme".to_owned(), acme.version, "{\"v\":3}".to_owned())];
        assert_eq!(store.store.replace_configs(changes).await.unwrap(), 1, "the second read a version gone");
        let changed = store.store.activate_instance("acme", "{\"v\":4}").await.unwrap();
        assert_eq!((changed.config.as_str(), changed.version, changed.registration), ("{\"v\":4}", acme.version + 2, None));
        let restored = store.store.restore_instance("acme", Some(acme.clone())).await.unwrap();
        assert_eq!((restored.config, restored.active), (acme.config, true));
        let gone = store.store.restore_instance("acme", None).await.unwrap();
        assert!(!gone.active);
        assert_eq!(store.store.instances().await.unwrap().len(), 1);
        assert_eq!(store.store.public_url().await.unwrap(), None);
        store.store.record_public_url("https://hooks.example.com").await.unwrap();
        store.store.record_public_url("https://hooks2.example.com").await.unwrap();
        assert_eq!(store.store.public_url().await.unwrap().as_deref(), Some("https://hooks2.example.com"));
    }

    async fn finished_runs_past_their_keep_are_pruned_and_a_dry_run_counts_them(store: TestStore) {
        let done = store.queued("import").await;
        let kept_running = store.queued("import").await;
        store.claim("import").await;
        store.store.finish(attempt(done, 1, Outcome::Succeeded(None))).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let instant = Kept { keep: Duration::ZERO, keep_dead: Duration::ZERO, keep_payload: None };
        let pruning = Arc::new(Pruning { flows: Default::default(), otherwise: instant });
        let dry = store.store.prune(pruning.clone(), RunId(0), 100, false).await.unwrap();
        assert_eq!(dry.total_runs(), 1);
        assert!(store.store.run(done).await.unwrap().is_some(), "a dry run removes nothing");
        let pruned = store.store.prune(pruning, RunId(0), 100, true).await.unwrap();
        assert_eq!(pruned.runs.into_iter().collect::<Vec<_>>(), [(("import".to_owned(), RunStatus::Succeeded), 1)]);
        assert!(store.store.run(done).await.unwrap().is_none());
        assert!(store.store.run(kept_running).await.unwrap().is_some(), "unfinished runs stay");
    }
}
