//! `ordered = true` runs an instance's runs one at a time in arrival order; `concurrency = N`
//! caps how many run at once, and `--workers` how many a server runs in all.

use crate::support::{Binary, PATIENCE, eventually, post};
use serde_json::Value;

/// (run id, instance, started, finished) of each finished run of `flow`.
fn intervals(binary: &Binary, flow: &str, count: usize) -> Vec<(u64, String, jiff::Timestamp, jiff::Timestamp)> {
    eventually(PATIENCE, &format!("{count} runs of {flow} to succeed"), || {
        let runs = binary.json(&["runs", "--flow", flow, "--status", "succeeded", "--json"]);
        (runs.as_array().unwrap().len() == count).then_some(runs)
    })
    .as_array()
    .unwrap()
    .iter()
    .map(|run| {
        let id = run["id"].as_u64().unwrap();
        let attempt: &Value = &binary.run_detail(id)["history"][0];
        let time = |field: &str| attempt[field].as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
        (id, run["instance"].as_str().unwrap().to_owned(), time("started_at"), time("finished_at"))
    })
    .collect()
}

#[tokio::test]
async fn ordered_runs_of_an_instance_go_one_at_a_time_in_arrival_order() {
    let binary = Binary::example("probe");
    let server = binary.serve(&["serve"]);
    for name in ["a", "b"] {
        assert!(binary.activate(name, "label = \"x\"", &server.url).status.success());
    }
    let client = reqwest::Client::new();
    for _ in 0..4 {
        for instance in ["a", "b"] {
            assert_eq!(post(&client, &server.hook(instance, "/ordered?ms=80"), "").await.0, 202);
        }
    }
    let mut runs = intervals(&binary, "ordered", 8);
    runs.sort_by_key(|run| run.0);
    for instance in ["a", "b"] {
        let mine: Vec<_> = runs.iter().filter(|run| run.1 == instance).collect();
        for pair in mine.windows(2) {
            assert!(
                pair[1].2 >= pair[0].3,
                "run {} of {instance} started before run {} finished",
                pair[1].0,
                pair[0].0
            );
        }
    }
    let overlapping = runs.iter().any(|a| runs.iter().any(|b| a.1 != b.1 && a.2 < b.3 && b.2 < a.3));
    assert!(overlapping, "two instances' ordered runs never ran side by side");
}

#[tokio::test]
async fn an_ordered_run_waits_while_an_earlier_one_is_retried() {
    let binary = Binary::example("probe");
    let server = binary.serve(&["serve"]);
    assert!(binary.activate("a", "label = \"x\"", &server.url).status.success());
    let client = reqwest::Client::new();
    let first = post(&client, &server.hook("a", "/ordered-retry?fail=true"), "").await.1["run_id"].as_u64().unwrap();
    let second = post(&client, &server.hook("a", "/ordered-retry?fail=false"), "").await.1["run_id"].as_u64().unwrap();
    let runs = intervals(&binary, "ordered_retry", 2);
    let first_detail = binary.run_detail(first);
    assert_eq!(first_detail["attempts"], 2, "{first_detail}");
    let retried_at: jiff::Timestamp = first_detail["history"][1]["finished_at"].as_str().unwrap().parse().unwrap();
    let second_started = runs.iter().find(|run| run.0 == second).unwrap().2;
    assert!(second_started >= retried_at, "run {second} started before run {first} was retried and done");
}

#[tokio::test]
async fn concurrency_caps_the_runs_executing_at_once() {
    let binary = Binary::example("probe");
    let server = binary.serve(&["serve"]);
    for name in ["a", "b"] {
        assert!(binary.activate(name, "label = \"x\"", &server.url).status.success());
    }
    let client = reqwest::Client::new();
    for n in 0..6 {
        let instance = if n % 2 == 0 { "a" } else { "b" };
        assert_eq!(post(&client, &server.hook(instance, "/limited?ms=150"), "").await.0, 202);
    }
    let runs = intervals(&binary, "limited", 6);
    let most_at_once = runs.iter().map(|a| runs.iter().filter(|b| b.2 <= a.2 && a.2 < b.3).count()).max().unwrap();
    assert_eq!(most_at_once, 2, "concurrency = 2");
}

#[tokio::test]
async fn workers_cap_the_runs_a_server_executes_at_once() {
    let binary = Binary::example("probe");
    let refused = binary.run(&["serve", "--workers", "0"]);
    assert!(!refused.status.success());
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(error.contains("--workers") && error.contains("0 is not in 1.."), "{error}");

    let server = binary.serve(&["serve", "--workers", "3"]);
    assert!(binary.activate("a", "label = \"x\"", &server.url).status.success());
    let client = reqwest::Client::new();
    for _ in 0..9 {
        assert_eq!(post(&client, &server.hook("a", "/slow?ms=150"), "").await.0, 202);
    }
    let runs = intervals(&binary, "slow", 9);
    let most_at_once = runs.iter().map(|a| runs.iter().filter(|b| b.2 <= a.2 && a.2 < b.3).count()).max().unwrap();
    assert_eq!(most_at_once, 3, "--workers 3");
}
