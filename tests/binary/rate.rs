//! Action policy: a component's rate limit holds across the concurrent runs of an instance,
//! not across instances; an action past its timeout fails its attempt.

use crate::retries::accepted;
use crate::support::{Binary, PATIENCE, Server, eventually};
use crate::webhooks::finished_run;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Each `metered` run's output: when its call returned.
fn call_times(binary: &Binary, instance: &str, count: usize) -> Vec<jiff::Timestamp> {
    eventually(PATIENCE, "every metered run to finish", || {
        let database = binary.database();
        let mut statement = database
            .prepare("SELECT output FROM runs WHERE flow = 'metered' AND instance = ?1 AND status = 'succeeded'")
            .unwrap();
        let outputs: Vec<String> =
            statement.query_map([instance], |row| row.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
        (outputs.len() == count).then(|| {
            let mut times: Vec<jiff::Timestamp> =
                outputs.iter().map(|output| serde_json::from_str(output).unwrap()).collect();
            times.sort();
            times
        })
    })
}

/// Serves, then activates each instance once, with `api_url`. (Activating an instance again
/// while a server runs reaches that server at its next refresh, within a second: a run in
/// between would still see the configuration it had.)
fn serving(binary: &Binary, api: &MockServer, instances: &[&str]) -> (Server, reqwest::Client) {
    let server = binary.serve(&["serve"]);
    let config = format!("label = \"m\"\napi_url = \"{}/\"", api.uri());
    for instance in instances {
        assert!(binary.activate(instance, &config, &server.url).status.success());
    }
    (server, reqwest::Client::new())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_holds_across_concurrent_runs_of_an_instance_and_not_across_instances() {
    const RUNS: usize = 50;
    let api = MockServer::start().await;
    Mock::given(method("POST")).and(path("/metered")).respond_with(ResponseTemplate::new(204)).mount(&api).await;
    let binary = Binary::example("probe");
    let (server, client) = serving(&binary, &api, &["a", "b"]);
    let url = server.hook("a", "/metered");
    let deliveries = (0..RUNS).map(|_| accepted(&client, &url, ""));
    futures::future::join_all(deliveries).await;
    // Instance b's one call is not held up by instance a's fifty.
    let other = accepted(&client, &server.hook("b", "/metered"), "").await;
    let other_run = finished_run(&binary, other);
    let times = call_times(&binary, "a", RUNS);
    let first = times[0];
    assert!(jiff::Timestamp::now().duration_since(first) < jiff::SignedDuration::from_secs(30), "sanity: {first}");
    // 10 a second with bursts of 10: the 50 calls take at least 4 seconds.
    let span = times[RUNS - 1].duration_since(first);
    assert!(span >= jiff::SignedDuration::from_millis(3_800), "50 calls at 10/s took only {span:?}");
    let other_time: jiff::Timestamp = binary.run_detail(other)["output"].as_str().unwrap().parse().unwrap();
    assert!(other_time < times[RUNS - 1], "instance b waited for instance a's limit");
    assert_eq!(other_run["status"], "succeeded");
}

#[tokio::test]
async fn an_action_past_its_timeout_fails_the_attempt_and_says_which() {
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/metered"))
        .and(query_param("slow", ""))
        .respond_with(ResponseTemplate::new(204).set_delay(std::time::Duration::from_secs(3)))
        .mount(&api)
        .await;
    let binary = Binary::example("probe");
    let (server, client) = serving(&binary, &api, &["a"]);
    let id = accepted(&client, &server.hook("a", "/metered?q=slow"), "").await;
    let run = finished_run(&binary, id);
    assert_eq!(run["status"], "dead");
    let error = binary.run_detail(id)["error"].as_str().unwrap().to_owned();
    assert!(error.contains("step 1 `Metered.call` did not finish within its timeout of 2s"), "{error}");
}
