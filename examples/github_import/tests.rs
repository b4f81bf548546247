//! The integration tested with `aqueduct::testing` alone: GitHub and the tracker stood in by
//! wiremock, GitHub's own example payloads delivered, signed as GitHub signs them.

use super::*;
use aqueduct::testing::Harness;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str) -> Vec<u8> {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github");
    std::fs::read(fixtures.join(name)).expect("a GitHub example payload")
}

#[tokio::test]
async fn activation_registers_the_webhook_and_a_push_reaches_the_tracker_once() -> Result<()> {
    let apps = MockServer::start().await;
    let hooks = "/github/repos/Codertocat/Hello-World/hooks";
    Mock::given(method("POST"))
        .and(path(hooks))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({ "id": 7 })))
        .expect(1)
        .mount(&apps)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{hooks}/7/pings")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&apps)
        .await;
    Mock::given(method("POST"))
        .and(path("/tracker/pushes"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&apps)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{hooks}/7")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&apps)
        .await;

    let harness = Harness::start(INTEGRATION).await?;
    let settings = json!({
        "repository": "Codertocat/Hello-World",
        "github_api": format!("{}/github/", apps.uri()),
        "github_token": "ghp_test",
        "webhook_secret": "It's a Secret to Everybody",
        "tracker_url": format!("{}/tracker/", apps.uri()),
    });
    harness.activate("acme", settings).await?;

    let deliver = || {
        harness
            .webhook::<GitHub>("acme")
            .header("x-github-event", "push")
            .header("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
            .body(fixture("push/with-new-branch.payload.json"))
    };
    let answer = deliver().send().await?;
    assert_eq!(answer.status, 202, "{:?}", answer.body);
    let run = harness.run(answer.run_id().expect("a run id")).await?;
    assert_eq!((run.flow.as_str(), run.status.as_str(), run.output), ("push", "succeeded", Some(json!(1))));

    // GitHub delivers again: the same run, not a second push to the tracker.
    let again = deliver().send().await?;
    assert_eq!((again.status, again.run_id(), &again.body["duplicate"]), (202, answer.run_id(), &json!(true)));
    // A forged delivery is refused.
    assert_eq!(deliver().unsigned().send().await?.status, 401);

    harness.deactivate("acme").await?;
    harness.stop().await;
    Ok(())
}
