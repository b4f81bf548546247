//! SIGTERM: refuse new deliveries, finish or return runs in progress, exit 0 within the drain
//! timeout; nothing acknowledged is lost.

use crate::support::{Binary, PATIENCE, eventually};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Counts the store's runs of `flow` by status.
fn statuses(binary: &Binary, flow: &str) -> Vec<(String, i64)> {
    let database = binary.database();
    let mut query =
        database.prepare("SELECT status, count(*) FROM runs WHERE flow = ?1 GROUP BY status ORDER BY status").unwrap();
    query.query_map([flow], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().map(Result::unwrap).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_loses_nothing_acknowledged_and_exits_within_the_drain_timeout() {
    let binary = Binary::example("probe");
    assert!(binary.activate("a", "label = \"first\"", "http://127.0.0.1:9").status.success());
    let mut server = binary.serve(&["serve", "--drain-timeout", "10s"]);
    let url = server.hook("a", "/slow?ms=200");
    let accepted = Arc::new(Mutex::new(Vec::<u64>::new()));
    let senders: Vec<_> = (0..8)
        .map(|_| {
            let (url, accepted) = (url.clone(), accepted.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                // Until the server refuses or goes away.
                while let Ok(response) = client.post(&url).send().await {
                    if response.status() != 202 {
                        break;
                    }
                    let answer: serde_json::Value = response.json().await.unwrap();
                    accepted.lock().unwrap().push(answer["run_id"].as_u64().unwrap());
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(800)).await;

    let (status, took) = tokio::task::block_in_place(|| server.terminate());
    assert!(status.success(), "the server exited with {status}");
    assert!(took < Duration::from_secs(11), "shutdown took {took:?}, longer than the drain timeout");
    for sender in senders {
        sender.await.unwrap();
    }
    let accepted = accepted.lock().unwrap().clone();
    assert!(accepted.len() >= 16, "the load was too light to test anything: {} runs", accepted.len());
    let after_stop = statuses(&binary, "slow");
    assert!(after_stop.iter().all(|(status, _)| status == "succeeded" || status == "queued"), "{after_stop:?}");
    assert_eq!(after_stop.iter().map(|(_, count)| count).sum::<i64>() as usize, accepted.len());

    let _restarted = binary.serve(&["serve"]);
    eventually(PATIENCE, "every accepted run to succeed", || {
        (statuses(&binary, "slow") == [("succeeded".to_owned(), accepted.len() as i64)]).then_some(())
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_still_executing_at_the_drain_timeout_resume_at_the_next_start() {
    let binary = Binary::example("probe");
    assert!(binary.activate("a", "label = \"first\"", "http://127.0.0.1:9").status.success());
    let mut server = binary.serve(&["serve", "--drain-timeout", "1s"]);
    let client = reqwest::Client::new();
    for _ in 0..3 {
        assert_eq!(client.post(server.hook("a", "/slow?ms=4000")).send().await.unwrap().status(), 202);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (status, took) = tokio::task::block_in_place(|| server.terminate());
    assert!(status.success(), "the server exited with {status}");
    assert!(took < Duration::from_millis(2500), "shutdown took {took:?} with a drain timeout of 1s");
    assert_eq!(statuses(&binary, "slow"), [("queued".to_owned(), 3)]);
    let attempts: i64 = binary
        .database()
        .query_row("SELECT max(attempts) FROM runs WHERE flow = 'slow'", [], |row| row.get(0))
        .unwrap();
    assert_eq!(attempts, 0, "an interrupted attempt is not counted");

    let _restarted = binary.serve(&["serve"]);
    eventually(PATIENCE, "the returned runs to succeed", || {
        (statuses(&binary, "slow") == [("succeeded".to_owned(), 3)]).then_some(())
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_draining_the_server_is_not_ready_and_refuses_deliveries_with_retry_after() {
    let binary = Binary::example("probe");
    assert!(binary.activate("a", "label = \"first\"", "http://127.0.0.1:9").status.success());
    let mut server = binary.serve(&["serve", "--drain-timeout", "10s"]);
    let client = reqwest::Client::new();
    assert_eq!(client.get(format!("{}/readyz", server.url)).send().await.unwrap().status(), 200);
    assert_eq!(client.get(format!("{}/healthz", server.url)).send().await.unwrap().status(), 200);
    let slow = client.post(server.hook("a", "/slow?ms=2500")).send().await.unwrap();
    let run_id = slow.json::<serde_json::Value>().await.unwrap()["run_id"].as_u64().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    server.send_sigterm();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(client.get(format!("{}/readyz", server.url)).send().await.unwrap().status(), 503);
    assert_eq!(client.get(format!("{}/healthz", server.url)).send().await.unwrap().status(), 200);
    let refused = client.post(server.hook("a", "/noop")).body(r#"{"id":1}"#).send().await.unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");

    let status = tokio::task::block_in_place(|| server.wait());
    assert!(status.success(), "the server exited with {status}");
    let finished: String = binary
        .database()
        .query_row("SELECT status FROM runs WHERE id = ?1", [run_id as i64], |row| row.get(0))
        .unwrap();
    assert_eq!(finished, "succeeded", "the run in progress finished within the drain timeout");
    let stored: i64 =
        binary.database().query_row("SELECT count(*) FROM runs WHERE flow = 'noop'", [], |row| row.get(0)).unwrap();
    assert_eq!(stored, 0, "a refused delivery was stored");
}
