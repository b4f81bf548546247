//! Workers are shared fairly: a flow whose third party never answers holds at most all the
//! workers but an eighth, and an instance that floods a flow at most all but a quarter, so other
//! flows' and other instances' runs still start at once.

use crate::retries::accepted;
use crate::support::{Binary, PATIENCE, Server, eventually};
use crate::webhooks::finished_run;
use std::time::Duration;

/// 16 workers: a flow holds at most 14, an instance's runs of one flow at most 12.
fn started(binary: &Binary, instances: &[&str]) -> (Server, reqwest::Client) {
    let server = binary.serve(&["serve", "--workers", "16"]);
    for instance in instances {
        assert!(binary.activate(instance, "label = \"first\"", &server.url).status.success());
    }
    (server, reqwest::Client::new())
}

/// How long run `id` waited between its admission and its first attempt's start.
fn waited(binary: &Binary, id: u64) -> Duration {
    let detail = binary.run_detail(id);
    let time = |value: &serde_json::Value| value.as_str().expect("a time").parse::<jiff::Timestamp>().expect("a time");
    let started = time(&detail["history"][0]["started_at"]);
    Duration::try_from(started.duration_since(time(&detail["created_at"]))).expect("started after it was created")
}

fn running(binary: &Binary, flow: &str) -> usize {
    binary.runs().iter().filter(|run| run["flow"] == flow && run["status"] == "running").count()
}

#[tokio::test]
async fn a_flow_that_hangs_on_every_run_leaves_workers_to_the_other_flows() {
    let binary = Binary::example("probe");
    let (server, client) = started(&binary, &["a", "b"]);
    // The third party hangs for every customer.
    for _ in 0..10 {
        for instance in ["a", "b"] {
            accepted(&client, &server.hook(instance, "/stall"), "").await;
        }
    }
    eventually(PATIENCE, "the hung flow to hold its share", || (running(&binary, "stall") == 14).then_some(()));
    for instance in ["a", "b"] {
        let id = accepted(&client, &server.hook(instance, "/noop"), r#"{"id": 1}"#).await;
        finished_run(&binary, id);
        assert!(waited(&binary, id) < Duration::from_secs(1), "waited {:?}", waited(&binary, id));
    }
    assert_eq!(running(&binary, "stall"), 14, "the hung flow never holds more than its share");
}

#[tokio::test]
async fn an_instance_that_floods_leaves_workers_to_the_other_instances_of_the_same_flow() {
    let binary = Binary::example("probe");
    let (server, client) = started(&binary, &["flood", "quiet"]);
    for _ in 0..40 {
        accepted(&client, &format!("{}?ms=3000", server.hook("flood", "/slow")), "").await;
    }
    eventually(PATIENCE, "the flood to hold its share", || (running(&binary, "slow") == 12).then_some(()));
    let quiet = accepted(&client, &format!("{}?ms=1", server.hook("quiet", "/slow")), "").await;
    finished_run(&binary, quiet);
    assert!(waited(&binary, quiet) < Duration::from_secs(1), "waited {:?} behind the flood", waited(&binary, quiet));
}
