//! A delivery id is remembered for its scope and window; ids an older version kept under an
//! event flow's name are moved to its endpoint's.

use super::inbox::{enqueue, move_delivery_ids};
use super::test_store::with_acme;
use crate::model::{Cause, Dedupe, Request};
use crate::store::{Enqueued, Entry, Start};
use rusqlite::Connection;
use std::sync::Arc;
use std::time::Duration;

const NOW: i64 = 1_000_000;

fn delivery(connection: &Connection, flow: &'static str, scope: &'static str, key: &str, now: i64) -> Enqueued {
    let entry = Entry {
        flow,
        instance: "acme".into(),
        cause: Cause::Webhook,
        request: Arc::new(Request::default()),
        dedupe: Some(Dedupe { scope, key: key.into(), window: Duration::from_secs(60) }),
        start: Start::Queued,
        replay: None,
        ordered: false,
        skip_if_unfinished: false,
    };
    enqueue(connection, &entry, b"", now).unwrap()
}

#[test]
fn an_id_is_one_delivery_within_its_scope_and_window() {
    let connection = with_acme();
    let Enqueued::Created(first) = delivery(&connection, "push", "GitHub", "d-1", NOW) else { panic!("not stored") };
    assert_eq!(delivery(&connection, "issues", "GitHub", "d-1", NOW + 1), Enqueued::Duplicate(first));
    assert!(matches!(delivery(&connection, "push", "Stripe", "d-1", NOW + 1), Enqueued::Created(_)), "another scope");
    assert!(matches!(delivery(&connection, "push", "GitHub", "d-1", NOW + 60_001), Enqueued::Created(_)), "expired");
}

#[test]
fn ids_kept_under_an_event_flow_move_to_its_endpoint() {
    let connection = with_acme();
    let Enqueued::Created(old) = delivery(&connection, "push", "push", "d-1", NOW) else { panic!("not stored") };
    move_delivery_ids(&connection, &[("push", "GitHub")]).unwrap();
    assert_eq!(delivery(&connection, "push", "GitHub", "d-1", NOW + 1), Enqueued::Duplicate(old));
    // Moving again, with the endpoint's own ids there, replaces nothing it should keep.
    move_delivery_ids(&connection, &[("push", "GitHub")]).unwrap();
    assert_eq!(delivery(&connection, "push", "GitHub", "d-1", NOW + 2), Enqueued::Duplicate(old));
}
