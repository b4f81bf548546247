//! Failed attempts are retried by the flow's policy; dead runs can be replayed.

use crate::support::{Binary, PATIENCE, Server, eventually, post};
use crate::webhooks::finished_run;
use serde_json::Value;
use std::time::Duration;

/// A probe server with instance `a` active, and a client.
pub fn started(binary: &Binary) -> (Server, reqwest::Client) {
    let server = binary.serve(&["serve"]);
    assert!(binary.activate("a", "label = \"first\"", &server.url).status.success());
    (server, reqwest::Client::new())
}

/// The run id of a delivery that must be accepted.
pub async fn accepted(client: &reqwest::Client, url: &str, body: &'static str) -> u64 {
    let (status, answer) = post(client, url, body).await;
    assert_eq!(status, 202, "{answer}");
    answer["run_id"].as_u64().expect("a run id")
}

fn time(value: &Value) -> jiff::Timestamp {
    value.as_str().expect("a time").parse().expect("an RFC 3339 time")
}

#[tokio::test]
async fn a_flow_that_fails_twice_then_succeeds_ends_succeeded_after_three_attempts() {
    let binary = Binary::example("probe");
    let (server, client) = started(&binary);
    let id = accepted(&client, &server.hook("a", "/flaky"), "").await;

    let run = finished_run(&binary, id);
    assert_eq!((run["status"].as_str(), run["attempts"].as_u64()), (Some("succeeded"), Some(3)), "{run}");
    let detail = binary.run_detail(id);
    let history = detail["history"].as_array().unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0]["error"], "attempt 1 fails");
    assert_eq!(history[1]["error"], "attempt 2 fails");
    assert_eq!(history[2]["error"], Value::Null);
    assert_eq!(detail["output"], 3);
    // backoff = "200ms..2s": the delay after attempt k is 200ms·2^(k-1) plus up to as much jitter.
    for (after, (low, high)) in [(0, (200, 400)), (1, (400, 800))] {
        let waited = time(&history[after + 1]["started_at"]).duration_since(time(&history[after]["finished_at"]));
        let waited = Duration::try_from(waited).unwrap();
        // The upper bound allows for the wake-up and the claim.
        assert!(
            waited >= Duration::from_millis(low) && waited <= Duration::from_millis(high + 250),
            "delay {} was {waited:?}, outside {low}..{high}ms",
            after + 1
        );
    }
}

#[tokio::test]
async fn a_permanent_error_goes_dead_after_one_attempt() {
    let binary = Binary::example("probe");
    let (server, client) = started(&binary);
    let id = accepted(&client, &server.hook("a", "/permanent"), "").await;
    let run = finished_run(&binary, id);
    assert_eq!((run["status"].as_str(), run["attempts"].as_u64()), (Some("dead"), Some(1)), "{run}");
    assert_eq!(binary.run_detail(id)["error"], "the order has no customer");
}

#[tokio::test]
async fn an_always_failing_flow_goes_dead_after_its_attempts_with_its_logs() {
    let binary = Binary::example("probe");
    let (server, client) = started(&binary);
    let (status, answer) = post(&client, &server.hook("a", "/fail"), "").await;
    assert_eq!(status, 202, "{answer}");
    let id = answer["run_id"].as_u64().expect("a run id");
    let status_url = answer["status_url"].as_str().expect("the run's status URL").to_owned();
    let run = finished_run(&binary, id);
    // retries = 2: three attempts in all.
    assert_eq!((run["status"].as_str(), run["attempts"].as_u64()), (Some("dead"), Some(3)), "{run}");
    let detail = binary.run_detail(id);
    let logs = &detail["history"][2]["logs"];
    assert_eq!(logs[0]["level"], "WARN", "{detail}");
    assert_eq!(logs[0]["message"], "about to fail reason=by design");
    let shown = binary.ok(&["runs", "show", &id.to_string()]);
    assert!(shown.contains("attempt 3 at") && shown.contains("about to fail"), "{shown}");

    let status: Value = client.get(&status_url).send().await.unwrap().json().await.unwrap();
    assert_eq!((status["status"].as_str(), status["attempts"].as_u64()), (Some("dead"), Some(3)), "{status}");
    assert_eq!(status.get("body"), None, "the status URL must not show the input");
    // Run ids count up: without its token, no run's status is told, nor whether it exists.
    for id in [id, 999_999] {
        let bare = client.get(format!("{}/runs/{id}", server.url)).send().await.unwrap();
        assert_eq!(bare.status(), 401, "run {id}");
        let wrong = client.get(format!("{}/runs/{id}?token=guess", server.url)).send().await.unwrap();
        assert_eq!(wrong.status(), 404, "run {id}");
    }
}

#[tokio::test]
async fn replaying_a_dead_run_after_its_cause_is_fixed_succeeds_once() {
    let binary = Binary::example("probe");
    std::fs::write(binary.dir().join("broken"), "").unwrap();
    let (server, client) = started(&binary);
    let id = accepted(&client, &server.hook("a", "/fixable"), "four").await;
    assert_eq!(finished_run(&binary, id)["status"], "dead");

    let still_running = binary.run(&["replay", "12345"]);
    assert!(!still_running.status.success());
    assert!(String::from_utf8_lossy(&still_running.stderr).contains("there is no run 12345"));

    std::fs::remove_file(binary.dir().join("broken")).unwrap();
    let output = binary.ok(&["replay", &id.to_string()]);
    let replay: u64 = output.trim().rsplit(' ').next().unwrap().parse().expect("the new run's id");
    let run = finished_run(&binary, replay);
    assert_eq!(
        (run["status"].as_str(), run["cause"].as_str(), run["attempts"].as_u64()),
        (Some("succeeded"), Some("replay"), Some(1))
    );
    assert_eq!(binary.run_detail(replay)["output"], 4, "the replay ran with the original input");
    assert_eq!(binary.run_detail(replay)["replay_of"], id);
    assert_eq!(binary.run_detail(id)["replayed_as"], replay);

    // Replayed once: the dead run is not picked up again.
    assert_eq!(binary.ok(&["replay", "--dead"]).trim(), "no dead runs to replay");
    let fixable_runs = binary.json(&["runs", "--flow", "fixable", "--json"]);
    assert_eq!(fixable_runs.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn replay_dead_replays_every_dead_run_of_a_flow() {
    let binary = Binary::example("probe");
    std::fs::write(binary.dir().join("broken"), "").unwrap();
    let (server, client) = started(&binary);
    let mut dead = Vec::new();
    for _ in 0..3 {
        dead.push(accepted(&client, &server.hook("a", "/fixable"), "x").await);
    }
    let permanent = accepted(&client, &server.hook("a", "/permanent"), "").await;
    for id in dead.iter().chain([&permanent]) {
        assert_eq!(finished_run(&binary, *id)["status"], "dead");
    }
    std::fs::remove_file(binary.dir().join("broken")).unwrap();

    let output = binary.ok(&["replay", "--dead", "--flow", "fixable"]);
    assert_eq!(output.lines().count(), 3, "{output}");
    eventually(PATIENCE, "the replays to succeed", || {
        let succeeded = binary.json(&["runs", "--flow", "fixable", "--status", "succeeded", "--json"]);
        (succeeded.as_array().unwrap().len() == 3).then_some(())
    });
    assert_eq!(binary.run_detail(permanent)["replayed_as"], Value::Null, "--flow kept to its flow");
}

mod third_party {
    use super::*;
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    async fn call(answer: ResponseTemplate) -> (Binary, u64, MockServer) {
        let api = MockServer::start().await;
        Mock::given(method("GET")).respond_with(answer).up_to_n_times(1).mount(&api).await;
        Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).mount(&api).await;
        let binary = Binary::example("probe");
        let server = binary.serve(&["serve"]);
        let config = format!("label = \"first\"\napi_url = \"{}/stock\"", api.uri());
        assert!(binary.activate("a", &config, &server.url).status.success());
        let id = accepted(&reqwest::Client::new(), &server.hook("a", "/call"), "").await;
        finished_run(&binary, id);
        drop(server);
        (binary, id, api)
    }

    #[tokio::test]
    async fn a_429_is_retried_no_sooner_than_its_retry_after() {
        let (binary, id, _api) = call(ResponseTemplate::new(429).insert_header("retry-after", "1")).await;
        let detail = binary.run_detail(id);
        assert_eq!((detail["status"].as_str(), detail["attempts"].as_u64()), (Some("succeeded"), Some(2)), "{detail}");
        let history = detail["history"].as_array().unwrap();
        assert!(history[0]["error"].as_str().unwrap().ends_with("/stock answered 429 Too Many Requests"), "{detail}");
        let waited = time(&history[1]["started_at"]).duration_since(time(&history[0]["finished_at"]));
        assert!(
            Duration::try_from(waited).unwrap() >= Duration::from_secs(1),
            "retried after {waited:?}; backoff alone is 100ms"
        );
    }

    #[tokio::test]
    async fn a_4xx_from_a_third_party_is_permanent() {
        let (binary, id, _api) = call(ResponseTemplate::new(404)).await;
        let detail = binary.run_detail(id);
        assert_eq!((detail["status"].as_str(), detail["attempts"].as_u64()), (Some("dead"), Some(1)), "{detail}");
        assert!(detail["error"].as_str().unwrap().contains("404 Not Found"), "{detail}");
    }

    #[tokio::test]
    async fn a_5xx_from_a_third_party_is_retried() {
        let (binary, id, _api) = call(ResponseTemplate::new(503)).await;
        let detail = binary.run_detail(id);
        assert_eq!((detail["status"].as_str(), detail["attempts"].as_u64()), (Some("succeeded"), Some(2)), "{detail}");
    }
}
