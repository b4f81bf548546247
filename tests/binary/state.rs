//! A flow's state per instance: committed with a run's success only, and no update lost when
//! runs race.

use crate::retries::{accepted, started};
use crate::support::{Binary, PATIENCE, eventually};
use crate::webhooks::finished_run;

/// Every finished run of `tally` for `instance`, with its output, by id.
fn tallies(binary: &Binary, instance: &str) -> Vec<(String, Option<u64>)> {
    let database = binary.database();
    let mut statement =
        database.prepare("SELECT status, output FROM runs WHERE flow = 'tally' AND instance = ?1 ORDER BY id").unwrap();
    statement
        .query_map([instance], |row| {
            let output: Option<String> = row.get(1)?;
            Ok((row.get(0)?, output.map(|output| output.parse().unwrap())))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn stored_count(binary: &Binary, instance: &str) -> Option<String> {
    let database = binary.database();
    database
        .query_row("SELECT value FROM state WHERE flow = 'tally' AND instance = ?1", [instance], |row| row.get(0))
        .ok()
}

#[tokio::test]
async fn concurrent_runs_lose_no_update_and_a_failed_run_commits_none() {
    const RUNS: u64 = 50;
    let binary = Binary::example("probe");
    let (server, client) = started(&binary);
    assert!(binary.activate("b", "label = \"second\"", &server.url).status.success());
    let url = server.hook("a", "/tally?ms=20");
    let deliveries = (0..RUNS).map(|_| accepted(&client, &url, ""));
    futures::future::join_all(deliveries).await;
    let runs = eventually(PATIENCE, "every tally run to finish", || {
        let runs = tallies(&binary, "a");
        (runs.len() as u64 == RUNS && runs.iter().all(|(status, _)| status == "succeeded")).then_some(runs)
    });
    // Each run saw the count the run before it committed: no two saw the same one.
    let mut counts: Vec<u64> = runs.iter().map(|(_, count)| count.unwrap()).collect();
    counts.sort();
    assert_eq!(counts, (1..=RUNS).collect::<Vec<_>>());
    assert_eq!(stored_count(&binary, "a").as_deref(), Some(r#"{"count":50}"#));

    let failed = accepted(&client, &server.hook("a", "/tally?ms=0&fail=true"), "").await;
    assert_eq!(finished_run(&binary, failed)["status"], "dead");
    assert_eq!(stored_count(&binary, "a").as_deref(), Some(r#"{"count":50}"#), "a failed run commits no state");

    let next = accepted(&client, &server.hook("a", "/tally?ms=0"), "").await;
    finished_run(&binary, next);
    assert_eq!(binary.run_detail(next)["output"], 51);
    // Another instance has its own.
    let other = accepted(&client, &server.hook("b", "/tally?ms=0"), "").await;
    finished_run(&binary, other);
    assert_eq!(binary.run_detail(other)["output"], 1);
}
