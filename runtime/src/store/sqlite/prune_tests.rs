//! Retention: what is past its keep goes, what is not stays, a dry run counts exactly what a
//! real prune removes, delivery ids outlive their pruned runs, and freed space is reused.

use super::history::stored_run;
use super::inbox::enqueue;
use super::prune::pass;
use super::test_store::with_acme;
use crate::model::{Cause, Dedupe, Request, RunId, RunStatus};
use crate::store::{Enqueued, Entry, Kept, Pruned, Pruning, Start};
use http::HeaderMap;
use rusqlite::{Connection, params};
use std::sync::Arc;
use std::time::Duration;

const MINUTE: i64 = 60_000;
const T0: i64 = 1_000_000_000;

fn pruning(keep_payload: Option<Duration>) -> Pruning {
    let kept = Kept { keep: Duration::from_secs(60), keep_dead: Duration::from_secs(600), keep_payload };
    Pruning { flows: [("orders".to_owned(), kept)].into(), otherwise: kept }
}

/// A run of `orders` with a 1 KiB body, created at `at` and, when `status` is given, finished then.
fn run(connection: &Connection, at: i64, status: Option<&str>, delivery: Option<&str>) -> RunId {
    let entry = Entry {
        flow: "orders",
        instance: "acme".into(),
        cause: Cause::Webhook,
        request: Arc::new(Request::new(None, HeaderMap::new(), vec![b'x'; 1024])),
        dedupe: delivery.map(|key| Dedupe { scope: "orders", key: key.into(), window: Duration::from_secs(3600) }),
        start: Start::Queued,
        replay: None,
        ordered: false,
        skip_if_unfinished: false,
    };
    let Enqueued::Created(id) = enqueue(connection, &entry, b"", at).unwrap() else { panic!("not stored") };
    if let Some(status) = status {
        connection
            .execute("UPDATE runs SET status = ?2, finished_at = ?3 WHERE id = ?1", params![id.0, status, at])
            .unwrap();
    }
    id
}

/// Passes of a few runs until the sweep ends, as the server's pruner makes them.
fn sweep(connection: &Connection, pruning: &Pruning, now: i64, remove: bool) -> Pruned {
    sweep_by(connection, pruning, now, remove, 3)
}

fn sweep_by(connection: &Connection, pruning: &Pruning, now: i64, remove: bool, limit: usize) -> Pruned {
    let mut total = Pruned::default();
    let mut after = RunId(0);
    loop {
        let pruned = pass(connection, pruning, after, limit, now, remove).unwrap();
        let next = pruned.next;
        total.add(pruned);
        match next {
            Some(next) => after = next,
            None => return total,
        }
    }
}

fn remaining(connection: &Connection) -> Vec<i64> {
    let mut statement = connection.prepare("SELECT id FROM runs ORDER BY id").unwrap();
    statement.query_map([], |row| row.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

#[test]
fn runs_past_their_keep_go_and_a_dry_run_counts_exactly_those() {
    let connection = with_acme();
    // Due: succeeded and ignored a minute ago, dead ten minutes ago.
    run(&connection, T0, Some("succeeded"), None);
    run(&connection, T0, Some("ignored"), None);
    let old_dead = run(&connection, T0, Some("dead"), None);
    run(&connection, T0 - 10 * MINUTE, Some("dead"), None);
    let old_but_waiting = run(&connection, T0, Some("failed"), None);
    let old_queued = run(&connection, T0, None, None);
    let recent = run(&connection, T0 + 2 * MINUTE, Some("succeeded"), None);
    let now = T0 + 2 * MINUTE + 1;

    let dry = sweep(&connection, &pruning(None), now, false);
    assert_eq!(remaining(&connection).len(), 7, "a dry run removes nothing");
    let removed = sweep(&connection, &pruning(None), now, true);
    assert_eq!(dry.runs, removed.runs, "the dry run counts what the prune removes");
    assert_eq!(
        removed.runs,
        [
            (("orders".to_owned(), RunStatus::Succeeded), 1),
            (("orders".to_owned(), RunStatus::Ignored), 1),
            (("orders".to_owned(), RunStatus::Dead), 1)
        ]
        .into()
    );
    assert_eq!(remaining(&connection), vec![old_dead.0, old_but_waiting.0, old_queued.0, recent.0]);
    let payloads: i64 = connection.query_row("SELECT count(*) FROM payloads", [], |row| row.get(0)).unwrap();
    assert_eq!(payloads, 4, "a removed run's payload goes with it");
}

#[test]
fn a_payload_past_keep_payload_goes_and_its_run_stays() {
    let connection = with_acme();
    let id = run(&connection, T0, Some("succeeded"), None);
    let unfinished = run(&connection, T0, None, None);
    let keep_payload = pruning(Some(Duration::from_secs(10)));
    let now = T0 + 11_000;
    assert_eq!(sweep(&connection, &keep_payload, now, false).payloads, 1);
    let pruned = sweep(&connection, &keep_payload, now, true);
    assert_eq!((pruned.total_runs(), pruned.payloads), (0, 1));
    let stored = stored_run(&connection, id).unwrap().expect("the run stays");
    assert!(stored.request.is_none(), "its payload is gone");
    assert!(stored_run(&connection, unfinished).unwrap().unwrap().request.is_some(), "an unfinished run keeps it");
    assert_eq!(sweep(&connection, &keep_payload, now, true).payloads, 0, "nothing is removed twice");
}

#[test]
fn a_delivery_id_is_remembered_for_its_window_after_its_run_is_pruned() {
    let connection = with_acme();
    let first = run(&connection, T0, Some("succeeded"), Some("d-1"));
    let now = T0 + 2 * MINUTE;
    assert_eq!(sweep(&connection, &pruning(None), now, true).total_runs(), 1);
    assert!(remaining(&connection).is_empty());
    let again = Entry {
        flow: "orders",
        instance: "acme".into(),
        cause: Cause::Webhook,
        request: Arc::new(Request::default()),
        dedupe: Some(Dedupe { scope: "orders", key: "d-1".into(), window: Duration::from_secs(3600) }),
        start: Start::Queued,
        replay: None,
        ordered: false,
        skip_if_unfinished: false,
    };
    assert_eq!(enqueue(&connection, &again, b"", now).unwrap(), Enqueued::Duplicate(first));
}

#[test]
fn space_freed_by_pruning_is_reused_so_the_file_stops_growing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let mut connection = super::open_writer(&path).unwrap();
    connection
        .execute("INSERT INTO instances (name, config, active, version, updated_at) VALUES ('acme', '{}', 1, 1, 0)", [])
        .unwrap();
    let size = |connection: &Connection| {
        connection.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
        std::fs::metadata(&path).unwrap().len()
    };
    let fill = |connection: &mut Connection, at: i64| {
        let transaction = connection.transaction().unwrap();
        for _ in 0..3_000 {
            run(&transaction, at, Some("succeeded"), None);
        }
        transaction.commit().unwrap();
        size(connection)
    };
    let first = fill(&mut connection, T0);
    assert!(first > 3_000 * 1024, "the fill is on disk: {first} bytes");
    assert_eq!(sweep_by(&connection, &pruning(None), T0 + 2 * MINUTE, true, 500).total_runs(), 3_000);
    let second = fill(&mut connection, T0 + 2 * MINUTE);
    assert_eq!(sweep_by(&connection, &pruning(None), T0 + 4 * MINUTE, true, 500).total_runs(), 3_000);
    let third = fill(&mut connection, T0 + 4 * MINUTE);
    assert!(second <= first + first / 20, "the second fill reuses the first's pages: {first} then {second} bytes");
    assert!(third <= first + first / 20, "and so does the third: {first} then {third} bytes");
}
