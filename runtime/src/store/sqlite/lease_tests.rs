//! A run whose lease ran out goes back to the inbox; a lifecycle hook whose lease ran out is
//! over, because only the command that started it could have finished it.

use super::inbox::{claim, enqueue, maintain};
use super::test_store::with_acme;
use crate::model::{Cause, Request, RunId};
use crate::store::{Enqueued, Entry, FlowClaim, Start};
use axum::http::HeaderMap;
use rusqlite::Connection;
use std::sync::Arc;
use std::time::Duration;

const LEASE: Duration = Duration::from_secs(30);
const START: i64 = 1_000_000;

fn leased(connection: &Connection, flow: &'static str, cause: Cause) -> RunId {
    let entry = Entry {
        flow,
        instance: "acme".into(),
        cause,
        request: Arc::new(Request::new(None, HeaderMap::new(), "{}")),
        dedupe: None,
        start: Start::Leased(LEASE),
        replay: None,
        ordered: false,
        skip_if_unfinished: false,
    };
    match enqueue(connection, &entry, b"", START).unwrap() {
        Enqueued::Created(id) => id,
        other => panic!("not stored: {other:?}"),
    }
}

fn state(connection: &Connection, run: RunId) -> (String, i64, Option<String>) {
    connection
        .query_row("SELECT status, attempts, error FROM runs WHERE id = ?1", [run.0], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .unwrap()
}

fn claim_all(connection: &Connection, flow: &'static str, now: i64) -> Vec<RunId> {
    claim_passing_over(connection, flow, now, Vec::new())
}

fn claim_passing_over(connection: &Connection, flow: &'static str, now: i64, passing_over: Vec<String>) -> Vec<RunId> {
    let flows = [FlowClaim { flow, limit: 10, concurrency: None, ordered: false, passing_over }];
    claim(connection, &flows, 10, LEASE, now).unwrap().into_iter().map(|row| row.decode().id).collect()
}

#[test]
fn a_run_whose_lease_ran_out_is_claimed_again_as_its_next_attempt() {
    let connection = with_acme();
    let run = leased(&connection, "import", Cause::Webhook);

    maintain(&connection, START + 29_999).unwrap();
    assert_eq!(state(&connection, run).0, "running", "the lease still holds");

    maintain(&connection, START + 30_001).unwrap();
    assert_eq!(state(&connection, run), ("queued".into(), 1, None));
    assert_eq!(claim_all(&connection, "import", START + 30_001), [run]);
    assert_eq!(state(&connection, run), ("running".into(), 2, None), "the second attempt");
}

#[test]
fn a_lifecycle_hook_whose_lease_ran_out_is_dead_with_the_reason() {
    let connection = with_acme();
    let hook = leased(&connection, "register_webhook", Cause::Activate);

    maintain(&connection, START + 30_001).unwrap();
    let (status, _, error) = state(&connection, hook);
    assert_eq!(status, "dead");
    assert!(error.unwrap().contains("stopped before it finished"));
    assert!(claim_all(&connection, "register_webhook", START + 60_000).is_empty());
}

#[test]
fn a_claim_passes_over_the_runs_of_instances_holding_their_share() {
    let connection = with_acme();
    connection
        .execute(
            "INSERT INTO instances (name, config, active, version, updated_at) VALUES ('quiet', '{}', 1, 1, 0)",
            [],
        )
        .unwrap();
    let queued = |instance: &str| {
        let entry = Entry {
            flow: "import",
            instance: instance.into(),
            cause: Cause::Webhook,
            request: Arc::new(Request::default()),
            dedupe: None,
            start: Start::Queued,
            replay: None,
            ordered: false,
            skip_if_unfinished: false,
        };
        let Enqueued::Created(id) = enqueue(&connection, &entry, b"", START).unwrap() else { panic!("not stored") };
        id
    };
    let flood = [queued("acme"), queued("acme")];
    let quiet = queued("quiet");
    assert_eq!(claim_passing_over(&connection, "import", START, vec!["acme".into()]), [quiet]);
    assert_eq!(claim_all(&connection, "import", START), flood);
}
