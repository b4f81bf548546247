//! Durable steps: an action call that completed is not made again when its run is retried or
//! replayed (unless `replay --fresh`), and a run whose steps no longer match its code fails.

use crate::retries::accepted;
use crate::support::{Binary, PATIENCE, Server, eventually};
use crate::webhooks::finished_run;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A CRM whose `notify` fails the first `notify_failures` times.
async fn crm(notify_failures: u64) -> MockServer {
    let crm = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({ "id": 42 })))
        .mount(&crm)
        .await;
    Mock::given(method("POST")).and(path("/notes")).respond_with(ResponseTemplate::new(204)).mount(&crm).await;
    if notify_failures > 0 {
        Mock::given(method("POST"))
            .and(path("/notify"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(notify_failures)
            .mount(&crm)
            .await;
    }
    Mock::given(method("POST")).and(path("/notify")).respond_with(ResponseTemplate::new(204)).mount(&crm).await;
    crm
}

/// How many requests the CRM received at `path`.
async fn calls(crm: &MockServer, at: &str) -> usize {
    crm.received_requests().await.unwrap().iter().filter(|request| request.url.path() == at).count()
}

async fn calls_per_path(crm: &MockServer) -> [usize; 3] {
    [calls(crm, "/contacts").await, calls(crm, "/notes").await, calls(crm, "/notify").await]
}

fn started(binary: &Binary, crm: &MockServer) -> Server {
    let server = binary.serve(&["serve"]);
    let config = format!("label = \"steps\"\napi_url = \"{}/\"", crm.uri());
    assert!(binary.activate("a", &config, &server.url).status.success());
    server
}

fn steps_of(attempt: &Value) -> Vec<(String, bool)> {
    let steps = attempt["steps"].as_array().expect("steps");
    steps.iter().map(|step| (step["name"].as_str().unwrap().to_owned(), step["replayed"] == true)).collect()
}

fn step(name: &str, replayed: bool) -> (String, bool) {
    (name.to_owned(), replayed)
}

#[tokio::test]
async fn a_retry_calls_only_the_steps_that_did_not_complete() {
    let crm = crm(1).await;
    let binary = Binary::example("probe");
    let server = started(&binary, &crm);
    let id = accepted(&reqwest::Client::new(), &server.hook("a", "/steps"), "").await;
    let run = finished_run(&binary, id);
    assert_eq!((run["status"].as_str(), run["attempts"].as_u64()), (Some("succeeded"), Some(2)), "{run}");
    // The first attempt created the contact and added the note, then `notify` failed: the
    // retry called `notify` alone.
    assert_eq!(calls_per_path(&crm).await, [1, 1, 2]);
    let detail = binary.run_detail(id);
    assert_eq!(detail["output"], 42, "the recorded contact id came back on the retry");
    let history = detail["history"].as_array().unwrap();
    assert_eq!(
        steps_of(&history[0]),
        [step("Crm.create_contact", false), step("Crm.add_note", false), step("Crm.notify", false)]
    );
    assert!(history[0]["steps"][2]["error"].as_str().unwrap().contains("503"), "{detail}");
    assert_eq!(
        steps_of(&history[1]),
        [step("Crm.create_contact", true), step("Crm.add_note", true), step("Crm.notify", false)]
    );
    let shown = binary.ok(&["runs", "show", &id.to_string()]);
    assert!(shown.contains("Crm.create_contact") && shown.contains("recorded"), "{shown}");
}

#[tokio::test]
async fn a_replay_reuses_the_completed_steps_and_a_fresh_replay_calls_them_again() {
    let crm = crm(0).await;
    let binary = Binary::example("probe");
    let _server = started(&binary, &crm);
    let id = accepted(&reqwest::Client::new(), &_server.hook("a", "/steps"), "").await;
    assert_eq!(finished_run(&binary, id)["status"], "succeeded");
    assert_eq!(calls_per_path(&crm).await, [1, 1, 1]);

    let replayed = replay(&binary, &[&id.to_string()]);
    assert_eq!(finished_run(&binary, replayed)["status"], "succeeded");
    assert_eq!(calls_per_path(&crm).await, [1, 1, 1], "a replay gets the recorded outputs back");
    assert_eq!(binary.run_detail(replayed)["output"], 42);

    let fresh = replay(&binary, &[&id.to_string(), "--fresh"]);
    assert_eq!(finished_run(&binary, fresh)["status"], "succeeded");
    assert_eq!(calls_per_path(&crm).await, [2, 2, 2], "a fresh replay calls every step again");
}

/// The new run's id from `replay`'s answer.
fn replay(binary: &Binary, args: &[&str]) -> u64 {
    let output = binary.ok(&[&["replay"], args].concat());
    output.trim().rsplit(' ').next().unwrap().parse().expect("the new run's id")
}

#[tokio::test]
async fn a_run_whose_steps_no_longer_match_its_code_fails_and_says_so() {
    let crm = crm(0).await;
    let binary = Binary::example("probe");
    let server = started(&binary, &crm);
    let id = accepted(&reqwest::Client::new(), &server.hook("a", "/drifting"), "").await;
    // The first attempt completed `create_contact`, then failed.
    eventually(PATIENCE, "the first attempt to finish", || {
        (binary.run_detail(id)["history"].as_array().map_or(0, Vec::len) >= 1).then_some(())
    });
    std::fs::write(binary.dir().join("renamed"), "").unwrap();
    let run = finished_run(&binary, id);
    assert_eq!(run["status"], "dead", "{run}");
    let error = binary.run_detail(id)["error"].as_str().unwrap().to_owned();
    assert!(
        error.contains("step 1 of this run was `Crm.create_contact` when it ran before and is `Crm.notify` now")
            && error.contains(&format!("replay {id} --fresh")),
        "{error}"
    );
    assert_eq!(calls(&crm, "/notify").await, 0, "the mismatched step was not called");
    assert_eq!(calls(&crm, "/contacts").await, 1, "attempts before the change replayed the step");
}
