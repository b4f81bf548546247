//! One pre-process endpoint for many events: GitHub's own payloads are verified, routed by
//! their event header to the flow that takes them, and decoded into its types.

use crate::support::{Binary, PATIENCE, Server, eventually, github_signature, post};
use std::path::Path;

const SECRET: &str = "It's a Secret to Everybody";

fn sign(body: &[u8]) -> String {
    github_signature(SECRET, body)
}

async fn deliver(
    server: &Server,
    event: &str,
    delivery: &str,
    body: Vec<u8>,
    signature: &str,
) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(server.hook("acme", "/github"))
        .header("x-github-event", event)
        .header("x-github-delivery", delivery)
        .header("x-hub-signature-256", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// An instance of github_import against a GitHub that accepts its hook registration.
async fn github_import() -> (Binary, Server, wiremock::MockServer) {
    let fake = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(201).set_body_json(serde_json::json!({ "id": 1 })))
        .mount(&fake)
        .await;
    let binary = Binary::example("github_import");
    let server = binary.serve(&["serve"]);
    let config = format!(
        "repository = \"Codertocat/Hello-World\"\ngithub_api = \"{0}/\"\ngithub_token = \"t\"\nwebhook_secret = \"{SECRET}\"\ntracker_url = \"{0}/\"",
        fake.uri()
    );
    assert!(binary.activate("acme", &config, &server.url).status.success());
    (binary, server, fake)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_github_example_payload_reaches_its_flow_and_decodes() {
    let (binary, server, _fake) = github_import().await;
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github");
    let mut sent = 0;
    for (event, flow) in
        [("ping", "ping"), ("push", "push"), ("issues", "issue_changed"), ("pull_request", "pull_request_changed")]
    {
        for file in std::fs::read_dir(fixtures.join(event)).unwrap().map(|entry| entry.unwrap().path()) {
            let body = std::fs::read(&file).unwrap();
            let (status, answer) =
                deliver(&server, event, &format!("{}", file.display()), body.clone(), &sign(&body)).await;
            assert_eq!(status, 202, "{}: {answer}", file.display());
            sent += 1;
            let _ = flow;
        }
    }
    let runs = eventually(PATIENCE, "every delivery to finish", || {
        let runs = binary.json(&["runs", "--limit", "500", "--json"]);
        let done = runs
            .as_array()
            .unwrap()
            .iter()
            .filter(|run| run["status"] == "succeeded" && run["cause"] == "webhook")
            .count();
        (done == sent).then_some(runs)
    });
    let dead: Vec<_> = runs.as_array().unwrap().iter().filter(|run| run["status"] == "dead").collect();
    assert!(dead.is_empty(), "{dead:?}");
    for (flow, folder) in
        [("ping", "ping"), ("push", "push"), ("issue_changed", "issues"), ("pull_request_changed", "pull_request")]
    {
        let expected = std::fs::read_dir(fixtures.join(folder)).unwrap().count();
        let got = runs.as_array().unwrap().iter().filter(|run| run["flow"] == flow).count();
        assert_eq!(got, expected, "runs of {flow}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_events_are_ignored_and_bad_deliveries_refused() {
    let (binary, server, _fake) = github_import().await;
    let body = br#"{"action":"created","starred_at":null}"#.to_vec();

    let (status, answer) = deliver(&server, "star", "d-1", body.clone(), &sign(&body)).await;
    assert_eq!((status, &answer["ignored"]), (202, &serde_json::json!(true)), "{answer}");
    let ignored = binary.run_detail(answer["run_id"].as_u64().unwrap());
    assert_eq!((ignored["flow"].as_str(), ignored["status"].as_str()), (Some("GitHub"), Some("ignored")));
    assert_eq!(ignored["error"], "no flow takes the `star` event");
    let (status, again) = deliver(&server, "star", "d-1", body.clone(), &sign(&body)).await;
    assert_eq!((status, &again["run_id"], &again["duplicate"]), (202, &answer["run_id"], &serde_json::json!(true)));

    let (status, _) = deliver(&server, "push", "d-2", body.clone(), "sha256=00").await;
    assert_eq!(status, 401, "a wrong signature");
    let response = reqwest::Client::new()
        .post(server.hook("acme", "/github"))
        .header("x-hub-signature-256", sign(&body))
        .header("x-github-delivery", "d-3")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400, "no X-GitHub-Event header");
    let (status, answer) = deliver(&server, "push", "d-4", body.clone(), &sign(&body)).await;
    assert_eq!(status, 422, "a push without a push's fields: {answer}");

    let ping =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github/ping/payload.json")).unwrap();
    let (first, answer) = deliver(&server, "ping", "d-5", ping.clone(), &sign(&ping)).await;
    let (again, repeated) = deliver(&server, "ping", "d-5", ping.clone(), &sign(&ping)).await;
    assert_eq!((first, again), (202, 202));
    assert_eq!(answer["run_id"], repeated["run_id"], "a repeated X-GitHub-Delivery runs once");

    let flows = binary.json(&["flows", "--json"]);
    assert_eq!(flows[0]["kind"], "preprocess");
    assert_eq!(flows[0]["route"], serde_json::json!({ "header": "X-GitHub-Event" }));
    assert_eq!(
        (flows[2]["kind"].as_str(), flows[2]["event"].as_str(), flows[2]["preprocess"].as_str()),
        (Some("event"), Some("push"), Some("GitHub"))
    );
}

#[tokio::test]
async fn an_endpoint_that_rejects_unknown_events_answers_404() {
    let binary = Binary::example("probe");
    let server = binary.serve(&["serve"]);
    assert!(binary.activate("a", "label = \"a\"", &server.url).status.success());
    let client = reqwest::Client::new();
    let (status, answer) = post(&client, &server.hook("a", "/events"), r#"{"type":"order.created","id":7}"#).await;
    assert_eq!(status, 202, "{answer}");
    let (status, answer) = post(&client, &server.hook("a", "/events"), r#"{"type":"order.shipped","id":7}"#).await;
    assert_eq!(status, 404, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("order.shipped"), "{answer}");
    let (status, _) = post(&client, &server.hook("a", "/events"), r#"{"id":7}"#).await;
    assert_eq!(status, 400, "no event name at /type");
    let runs: Vec<_> = binary.runs().into_iter().filter(|run| run["cause"] == "webhook").collect();
    assert_eq!(runs.len(), 1, "only the routed delivery was stored: {runs:?}");
    assert_eq!(runs[0]["flow"], "order_created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ignored_delivery_is_replayed_through_the_flow_that_takes_its_event_now() {
    let (binary, server, _fake) = github_import().await;
    let star = br#"{"action":"created","starred_at":null}"#.to_vec();
    let (_, answer) = deliver(&server, "star", "d-1", star.clone(), &sign(&star)).await;
    let still_ignored = answer["run_id"].as_u64().unwrap().to_string();
    let refused = binary.run(&["replay", &still_ignored]);
    assert!(!refused.status.success());
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(
        error.contains("the `star` event, which no flow takes yet") && error.contains("event = \"star\""),
        "{error}"
    );

    // A push that an earlier deploy, one without a `push` flow, ignored: delivered under another
    // event, then stored as it would have been.
    let push =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github/push/payload.json")).unwrap();
    let (_, answer) = deliver(&server, "watch", "d-2", push.clone(), &sign(&push)).await;
    let earlier = answer["run_id"].as_u64().unwrap();
    let store = rusqlite::Connection::open(binary.dir().join("store.db")).unwrap();
    let as_push = |run: u64| {
        store
            .execute(
                "UPDATE payloads SET headers = CAST(replace(CAST(headers AS TEXT), 'x-github-event: watch', 'x-github-event: push') AS BLOB)
                 WHERE run_id = ?1 AND run_id IN (SELECT id FROM runs WHERE status = 'ignored')",
                [run as i64],
            )
            .unwrap()
    };
    assert_eq!(as_push(earlier), 1);

    let bulk = binary.run(&["replay", "--ignored"]);
    assert!(bulk.status.success(), "{}", String::from_utf8_lossy(&bulk.stderr));
    let said = String::from_utf8_lossy(&bulk.stdout);
    let replay: u64 = said
        .strip_prefix(&format!("replayed run {earlier} as run "))
        .and_then(|rest| rest.trim().parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    assert!(String::from_utf8_lossy(&bulk.stderr).contains("the `star` event"), "the star delivery stays ignored");
    let run = eventually(PATIENCE, "the replay to succeed", || {
        let run = binary.run_detail(replay);
        (run["status"] == "succeeded").then_some(run)
    });
    assert_eq!((run["flow"].as_str(), run["cause"].as_str()), (Some("push"), Some("replay")), "{run}");
    assert_eq!(binary.run_detail(earlier)["replayed_as"], replay);

    let again = binary.run(&["replay", &earlier.to_string()]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("has been replayed already"));
    assert_eq!(
        binary.ok(&["replay", "--ignored"]).trim(),
        "none of the 1 ignored deliveries could be replayed yet",
        "the star delivery"
    );

    // A delivery is checked as a live one would be: a body that is no push is not replayed as one.
    let (_, answer) = deliver(&server, "watch", "d-4", star.clone(), &sign(&star)).await;
    let not_a_push = answer["run_id"].as_u64().unwrap();
    assert_eq!(as_push(not_a_push), 1);
    let refused = binary.run(&["replay", &not_a_push.to_string()]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does not fit the flow `push`"), "{refused:?}");

    let (_, answer) = deliver(&server, "watch", "d-3", push.clone(), &sign(&push)).await;
    let later = answer["run_id"].as_u64().unwrap();
    assert_eq!(as_push(later), 1);
    binary.ok(&["instances", "deactivate", "acme", "--force"]);
    let refused = binary.run(&["replay", &later.to_string()]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no longer active"), "{refused:?}");
    assert!(binary.run_detail(later)["replayed_as"].is_null());
}

/// A delivery id is the sender's: the same id is one delivery whichever event it names, and
/// one a replay already took into a flow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_id_is_remembered_for_its_endpoint_whichever_flow_takes_it() {
    let (binary, server, _fake) = github_import().await;
    let push =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github/push/payload.json")).unwrap();
    let issue =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github/issues/opened.payload.json"))
            .unwrap();

    let (status, first) = deliver(&server, "push", "d-1", push.clone(), &sign(&push)).await;
    assert_eq!(status, 202, "{first}");
    let (status, again) = deliver(&server, "issues", "d-1", issue.clone(), &sign(&issue)).await;
    assert_eq!((status, &again["run_id"], &again["duplicate"]), (202, &first["run_id"], &serde_json::json!(true)));

    // Ignored under an event no flow took, replayed once a flow took it, then sent again.
    let (_, ignored) = deliver(&server, "watch", "d-2", push.clone(), &sign(&push)).await;
    let ignored = ignored["run_id"].as_u64().unwrap();
    let store = rusqlite::Connection::open(binary.dir().join("store.db")).unwrap();
    store
        .execute(
            "UPDATE payloads SET headers = CAST(replace(CAST(headers AS TEXT), 'x-github-event: watch', 'x-github-event: push') AS BLOB)
             WHERE run_id = ?1",
            [ignored as i64],
        )
        .unwrap();
    binary.ok(&["replay", &ignored.to_string()]);
    let (status, resent) = deliver(&server, "push", "d-2", push.clone(), &sign(&push)).await;
    assert_eq!(
        (status, resent["run_id"].as_u64(), &resent["duplicate"]),
        (202, Some(ignored), &serde_json::json!(true))
    );
    assert_eq!(binary.runs_of("push"), 2, "the first push and the replay, not the resent delivery");
    assert_eq!(binary.runs_of("issue_changed"), 0);
}
