//! Lifecycle hooks that pair: what on_activate registers is kept with the instance and handed
//! to on_deactivate, so deactivating removes exactly it and changing the configuration (a
//! rotated secret) leaves one registration, not two — against a stand-in GitHub.

use crate::support::{Binary, Server};
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HOOKS: &str = "/repos/Codertocat/Hello-World/hooks";

/// A GitHub that creates webhooks 7, 8, 9… in turn, refuses one signed with `refused`, and
/// pings a webhook when asked (or answers 500 when `pings_fail`).
async fn github_that(pings_fail: bool) -> MockServer {
    let github = MockServer::start().await;
    let ping = if pings_fail { ResponseTemplate::new(500) } else { ResponseTemplate::new(204) };
    Mock::given(method("POST")).and(path_regex(r"/hooks/\d+/pings$")).respond_with(ping).mount(&github).await;
    Mock::given(method("POST"))
        .and(path(HOOKS))
        .and(body_partial_json(json!({ "config": { "secret": "refused" } })))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({ "message": "Validation Failed" })))
        .with_priority(1)
        .mount(&github)
        .await;
    for id in 7..12 {
        Mock::given(method("POST"))
            .and(path(HOOKS))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({ "id": id })))
            .up_to_n_times(1)
            .with_priority(2)
            .mount(&github)
            .await;
    }
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(204)).mount(&github).await;
    github
}

async fn github() -> MockServer {
    github_that(false).await
}

fn config(github: &MockServer, secret: &str) -> String {
    format!(
        "repository = \"Codertocat/Hello-World\"\ngithub_api = \"{0}/\"\ngithub_token = \"t\"\nwebhook_secret = \"{secret}\"\ntracker_url = \"{0}/\"",
        github.uri()
    )
}

/// Each call GitHub received, as `POST secret` or `DELETE id`.
async fn calls(github: &MockServer) -> Vec<String> {
    let requests = github.received_requests().await.unwrap();
    requests
        .iter()
        .map(|request| match request.method.as_str() {
            // Each webhook created is pinged at once; only the ones that fail are counted here.
            "POST" if request.url.path().ends_with("/pings") => "PING".to_owned(),
            "POST" => {
                let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
                format!("POST {}", body["config"]["secret"].as_str().unwrap())
            }
            other => format!("{other} {}", request.url.path().rsplit('/').next().unwrap()),
        })
        .filter(|call| call != "PING")
        .collect()
}

fn activate(binary: &Binary, server: &Server, github: &MockServer, secret: &str) -> std::process::Output {
    binary.activate("acme", &config(github, secret), &server.url)
}

#[tokio::test]
async fn rotating_a_secret_leaves_one_webhook_and_deactivating_removes_exactly_it() {
    let github = github().await;
    let binary = Binary::example("github_import");
    let server = binary.serve(&["serve"]);
    assert!(activate(&binary, &server, &github, "first").status.success());
    assert_eq!(calls(&github).await, ["POST first"]);

    // A new secret: the webhook activation registered (7) is removed, one is created (8).
    assert!(activate(&binary, &server, &github, "second").status.success());
    assert_eq!(calls(&github).await, ["POST first", "DELETE 7", "POST second"]);

    binary.ok(&["instances", "deactivate", "acme", "--public-url", &server.url]);
    assert_eq!(calls(&github).await, ["POST first", "DELETE 7", "POST second", "DELETE 8"]);
}

#[tokio::test]
async fn a_change_that_fails_to_register_restores_the_earlier_configuration_and_its_webhook() {
    let github = github().await;
    let binary = Binary::example("github_import");
    let server = binary.serve(&["serve"]);
    assert!(activate(&binary, &server, &github, "first").status.success());

    let refused = activate(&binary, &server, &github, "refused");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(stderr.contains("activating `acme` failed, so its earlier state is restored"), "{stderr}");
    assert!(stderr.contains("422"), "{stderr}");
    // The earlier webhook was removed to register the new one; when that failed, the earlier
    // configuration was registered again.
    assert_eq!(calls(&github).await, ["POST first", "DELETE 7", "POST refused", "POST first"]);

    // The instance holds the webhook registered last (8), and removes it.
    binary.ok(&["instances", "deactivate", "acme", "--public-url", &server.url]);
    assert_eq!(calls(&github).await.last().map(String::as_str), Some("DELETE 8"));
}

#[tokio::test]
async fn a_failed_activation_leaves_nothing_registered() {
    let github = github_that(true).await;
    let binary = Binary::example("github_import");
    let server = binary.serve(&["serve"]);
    let failed = activate(&binary, &server, &github, "first");
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success());
    assert!(stderr.contains("activating `acme` failed") && stderr.contains("500"), "{stderr}");
    // The webhook created before the ping failed was deleted again.
    assert_eq!(calls(&github).await, ["POST first", "DELETE 7"]);
    let instances = binary.json(&["instances", "list", "--json"]);
    assert!(instances.as_array().unwrap().iter().all(|instance| instance["active"] == false), "{instances}");
    let hook_run = binary.runs().into_iter().find(|run| run["flow"] == "register_hook").expect("the hook's run");
    let steps = &binary.run_detail(hook_run["id"].as_u64().unwrap())["history"][0]["steps"];
    let names: Vec<&str> = steps.as_array().unwrap().iter().map(|step| step["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["GitHubApi.create_hook", "GitHubApi.ping_hook", "GitHubApi.delete_hook"]);
}
