//! The integration tested with `aqueduct::testing` alone: the CRM and your app's callback
//! receiver stood in by wiremock.

use super::*;
use aqueduct::testing::{Answer, Harness};
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

fn ada() -> serde_json::Value {
    json!({ "id": "c-1", "name": "Ada Lovelace", "email": "ada@example.com" })
}

/// A CRM that knows Ada at once and Grace after `grace_delay`, and no one else.
async fn crm(grace_delay: Duration) -> MockServer {
    let crm = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/customers"))
        .and(query_param("email", "ada@example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ada()))
        .mount(&crm)
        .await;
    let grace = json!({ "id": "c-2", "name": "Grace Hopper", "email": "grace@example.com" });
    Mock::given(method("GET"))
        .and(path("/customers"))
        .and(query_param("email", "grace@example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(grace).set_delay(grace_delay))
        .mount(&crm)
        .await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(404)).mount(&crm).await;
    crm
}

async fn harness(crm: &MockServer, callback_hosts: &[&str]) -> Result<Harness<Settings>> {
    let harness = Harness::start(INTEGRATION).await?;
    let settings = json!({
        "crm_url": format!("{}/", crm.uri()),
        "crm_token": "t",
        "callback_hosts": callback_hosts,
        "callback_secret": SECRET,
    });
    harness.activate("acme", settings).await?;
    Ok(harness)
}

/// The run behind a sync flow's answer.
fn run_of(answer: &Answer) -> aqueduct::RunId {
    answer.header("aqueduct-run-id").and_then(|id| id.parse().ok()).expect("the answer names its run")
}

#[tokio::test]
async fn a_lookup_within_the_wait_is_answered_in_the_call_and_recorded() -> Result<()> {
    let crm = crm(Duration::ZERO).await;
    let harness = harness(&crm, &[]).await?;
    let found = harness.call::<lookup_customer>("acme").query("email=ada@example.com").send().await?;
    assert_eq!((found.status, &found.body), (200, &json!({ "customer": ada() })), "{found:?}");
    assert_eq!(found.header("content-type"), Some("application/json"));
    let run = harness.run(run_of(&found)).await?;
    assert_eq!(run.status, "succeeded");
    assert_eq!(run.output.as_ref().map(|output| output["status"].clone()), Some(json!(200)), "{run:?}");

    let missing = harness.call::<lookup_customer>("acme").query("email=nobody@example.com").send().await?;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["error"], "no customer has the email nobody@example.com");

    // A call that does not fit the flow's extractors is refused, as a webhook's would be.
    let unreadable = harness.call::<lookup_customer>("acme").query("name=ada").send().await?;
    assert_eq!((unreadable.status, unreadable.body["path"].as_str()), (400, Some("email")), "{unreadable:?}");
    harness.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_slow_lookup_is_answered_202_and_then_at_its_status_url_to_its_token_only() -> Result<()> {
    let crm = crm(Duration::from_secs(3)).await;
    let harness = harness(&crm, &[]).await?;
    let started = std::time::Instant::now();
    let pending = harness.call::<lookup_customer>("acme").query("email=grace@example.com").send().await?;
    assert_eq!(pending.status, 202, "{pending:?}");
    assert!(started.elapsed() < Duration::from_millis(2900), "answered after {:?}", started.elapsed());
    let location = pending.header("location").expect("a status URL").to_owned();
    assert_eq!(pending.body["status_url"], location.as_str());
    let id = pending.run_id().expect("the run's id");

    let early = harness.get(&location).await?;
    assert_eq!((early.status, early.body["status"].as_str()), (202, Some("running")), "{early:?}");
    assert_eq!(harness.get(&format!("/runs/{id}")).await?.status, 401, "without the token");
    assert_eq!(harness.get(&format!("/runs/{id}?token=guessed")).await?.status, 404, "with a wrong token");
    let next: i64 = id.to_string().parse::<i64>()? + 1;
    let other = location.replace(&format!("/runs/{id}?"), &format!("/runs/{next}?"));
    assert_eq!(harness.get(&other).await?.status, 404, "with another run's token");

    assert_eq!(harness.run(id).await?.status, "succeeded");
    let done = harness.get(&location).await?;
    assert_eq!((done.status, done.body["customer"]["name"].as_str()), (200, Some("Grace Hopper")), "{done:?}");
    harness.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_slow_lookup_calls_back_signed_and_again_until_the_receiver_takes_it() -> Result<()> {
    let crm = crm(Duration::from_secs(3)).await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(204)).mount(&receiver).await;
    let harness = harness(&crm, &["127.0.0.1"]).await?;

    let pending = harness
        .call::<lookup_customer>("acme")
        .query("email=grace@example.com")
        .header("x-callback-url", &format!("{}/lookups/done", receiver.uri()))
        .send()
        .await?;
    assert_eq!(pending.status, 202, "{pending:?}");
    let run = harness.run(pending.run_id().expect("the run's id")).await?;
    assert_eq!((run.status.as_str(), run.attempts.len()), ("succeeded", 2), "{run:?}");
    assert!(run.attempts[0].error.as_deref().is_some_and(|error| error.contains("was answered 500")), "{run:?}");

    let callbacks = receiver.received_requests().await.unwrap();
    assert_eq!(callbacks.len(), 2, "the failed callback, then the one received");
    for callback in &callbacks {
        assert_eq!(callback.url.path(), "/lookups/done");
        assert_standard_webhooks_signature(callback);
        let body: serde_json::Value = serde_json::from_slice(&callback.body)?;
        assert_eq!(body["customer"]["name"], "Grace Hopper");
        assert_eq!(callback.headers.get("aqueduct-reply-status").unwrap(), "200");
    }
    assert_eq!(
        callbacks[0].headers.get("webhook-id"),
        callbacks[1].headers.get("webhook-id"),
        "one message, sent twice"
    );
    // The retry answered from the first attempt's recorded CRM call.
    let crm_calls = crm.received_requests().await.unwrap();
    assert_eq!(crm_calls.len(), 1, "{crm_calls:?}");
    harness.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_callback_host_off_the_allow_list_is_refused_before_anything_runs() -> Result<()> {
    let crm = crm(Duration::ZERO).await;
    let receiver = MockServer::start().await;
    let harness = harness(&crm, &["app.example.com"]).await?;
    let refused = harness
        .call::<lookup_customer>("acme")
        .query("email=ada@example.com")
        .header("x-callback-url", &format!("{}/lookups/done", receiver.uri()))
        .send()
        .await?;
    assert_eq!(refused.status, 400, "{refused:?}");
    assert_eq!(refused.body["error"], "the callback host `127.0.0.1` is not on this instance's allow-list");
    let not_a_url = harness
        .call::<lookup_customer>("acme")
        .query("email=ada@example.com")
        .header("x-callback-url", "ftp://app.example.com/done")
        .send()
        .await?;
    assert_eq!(
        (not_a_url.status, not_a_url.body["error"].as_str()),
        (400, Some("`x-callback-url` is not an http(s) URL"))
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(crm.received_requests().await.unwrap().is_empty(), "the flow never ran");
    assert!(receiver.received_requests().await.unwrap().is_empty(), "no one was called back");
    harness.stop().await;
    Ok(())
}

/// Checks the Standard Webhooks signature as the scheme's spec says: HMAC-SHA256 of
/// `id.timestamp.body` under the secret's base64 after `whsec_`, sent as `v1,base64`.
fn assert_standard_webhooks_signature(callback: &Request) {
    let header = |name: &str| callback.headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let key = base64::engine::general_purpose::STANDARD.decode(SECRET.trim_start_matches("whsec_")).unwrap();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", header("webhook-id"), header("webhook-timestamp")).as_bytes());
    mac.update(&callback.body);
    let expected = format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(header("webhook-signature"), expected);
    let age = jiff::Timestamp::now().as_second() - header("webhook-timestamp").parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "signed {age} s ago");
}
