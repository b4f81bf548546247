//! Typed calls between flows of one instance (`ctx.invoke`, `ctx.enqueue`), through the public
//! surface: each callee is a run of its own, and a retried caller never starts a second one.

use aqueduct::prelude::*;
use aqueduct::testing::Harness;
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Deserialize)]
struct Settings {
    crm_url: Url,
}

#[derive(Clone, Serialize, Deserialize)]
struct Contact {
    email: String,
}

/// Creates the contact in the CRM; returns the CRM's id for it.
#[flow(webhook, path = "/contacts", retries = 0)]
async fn upsert_contact(ctx: Ctx<Settings>, Json(contact): Json<Contact>) -> Result<String> {
    let url = ctx.config().crm_url.join("contacts")?;
    let created: serde_json::Value = ctx.http().post(url).json(&contact).send().await?.check_status()?.json().await?;
    Ok(created["id"].as_str().unwrap_or_default().to_owned())
}

#[flow(webhook, path = "/welcome")]
async fn send_welcome(ctx: Ctx<Settings>, Json(contact): Json<Contact>) -> Result<()> {
    let url = ctx.config().crm_url.join("welcome")?;
    ctx.http().post(url).json(&contact).send().await?.check_status()?;
    Ok(())
}

/// A signup: the contact upserted (waited for), a welcome queued, then the CRM told — which
/// fails once, so the signup is retried after both calls.
#[flow(webhook, path = "/signups", retries = 2)]
async fn signup(ctx: Ctx<Settings>, Json(contact): Json<Contact>) -> Result<serde_json::Value> {
    let crm_id: String = ctx.invoke::<upsert_contact>(contact.clone()).await?;
    let welcome = ctx.enqueue::<send_welcome>(contact.clone()).await?;
    let url = ctx.config().crm_url.join("signed-up")?;
    ctx.http().post(url).send().await?.check_status()?;
    Ok(json!({ "crm_id": crm_id, "welcome_run": welcome.to_string() }))
}

/// Waits longer than its caller's attempt may.
#[flow(webhook, path = "/slow", retries = 0)]
async fn slow_lookup(_ctx: Ctx<Settings>, Json(contact): Json<Contact>) -> Result<String> {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    Ok(format!("found {}", contact.email))
}

#[flow(webhook, path = "/lookups", timeout = "1s", retries = 1)]
async fn lookup(ctx: Ctx<Settings>, Json(contact): Json<Contact>) -> Result<String> {
    ctx.invoke::<slow_lookup>(contact).await
}

#[flow(webhook, path = "/broken")]
async fn broken(_ctx: Ctx<Settings>, Json(_contact): Json<Contact>) -> Result<String> {
    Err(Error::permanent(Error::msg("the CRM refuses this contact")))
}

#[flow(webhook, path = "/uses-broken", retries = 3)]
async fn uses_broken(ctx: Ctx<Settings>, Json(contact): Json<Contact>) -> Result<String> {
    ctx.invoke::<broken>(contact).await
}

mod app {
    use super::*;
    aqueduct::integration! {
        name: "calls",
        config: Settings,
        flows: [upsert_contact, send_welcome, signup, slow_lookup, lookup, broken, uses_broken],
    }
}

async fn started(crm: &MockServer) -> Result<Harness<Settings>> {
    let harness = Harness::start(app::INTEGRATION).await?;
    harness.activate("acme", json!({ "crm_url": format!("{}/", crm.uri()) })).await?;
    Ok(harness)
}

async fn requests_to(crm: &MockServer, to: &str) -> usize {
    crm.received_requests().await.unwrap().iter().filter(|request| request.url.path() == to).count()
}

#[tokio::test]
async fn invoke_waits_for_the_callee_and_enqueue_starts_one_and_a_retried_caller_repeats_neither() -> Result<()> {
    let crm = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contacts"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({ "id": "crm-7" })))
        .mount(&crm)
        .await;
    Mock::given(method("POST")).and(path("/welcome")).respond_with(ResponseTemplate::new(204)).mount(&crm).await;
    Mock::given(method("POST"))
        .and(path("/signed-up"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&crm)
        .await;
    Mock::given(method("POST")).and(path("/signed-up")).respond_with(ResponseTemplate::new(204)).mount(&crm).await;
    let harness = started(&crm).await?;

    let answer = harness.webhook::<signup>("acme").json(&json!({ "email": "ada@example.com" })).send().await?;
    let run = harness.run(answer.run_id().expect("a run")).await?;
    assert_eq!((run.status.as_str(), run.attempts.len()), ("succeeded", 2), "{run:?}");
    let output = run.output.expect("the signup's output");
    assert_eq!(output["crm_id"], "crm-7");
    let steps: Vec<(&str, bool)> =
        run.attempts[1].steps.iter().map(|step| (step.name.as_str(), step.replayed)).collect();
    assert_eq!(steps, [("invoke upsert_contact", true), ("enqueue send_welcome", true)]);

    let welcome: aqueduct::RunId = output["welcome_run"].as_str().unwrap().parse()?;
    let welcome = harness.run(welcome).await?;
    assert_eq!(welcome.status, "succeeded", "{welcome:?}");
    assert_eq!(requests_to(&crm, "/contacts").await, 1, "one callee, though the caller ran twice");
    assert_eq!(requests_to(&crm, "/welcome").await, 1, "one welcome, though the caller ran twice");
    assert_eq!(requests_to(&crm, "/signed-up").await, 2);
    harness.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_caller_stopped_while_it_waited_finds_its_callee_again() -> Result<()> {
    let crm = MockServer::start().await;
    let harness = started(&crm).await?;
    let answer = harness.webhook::<lookup>("acme").json(&json!({ "email": "ada@example.com" })).send().await?;
    let run = harness.run(answer.run_id().expect("a run")).await?;
    // The first attempt ran out of time while the callee worked; the second waited for that callee.
    assert_eq!((run.status.as_str(), run.attempts.len()), ("succeeded", 2), "{run:?}");
    assert!(run.attempts[0].error.as_deref().is_some_and(|error| error.contains("timeout")), "{run:?}");
    assert_eq!(run.output, Some(json!("found ada@example.com")));
    let callee = run.attempts[1].steps.first().expect("the invoke step");
    assert_eq!((callee.name.as_str(), callee.replayed), ("invoke slow_lookup", false));
    harness.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_dead_callee_fails_its_caller_for_good_with_its_error() -> Result<()> {
    let crm = MockServer::start().await;
    let harness = started(&crm).await?;
    let answer = harness.webhook::<uses_broken>("acme").json(&json!({ "email": "x@example.com" })).send().await?;
    let run = harness.run(answer.run_id().expect("a run")).await?;
    assert_eq!((run.status.as_str(), run.attempts.len()), ("dead", 1), "{run:?}");
    let error = run.attempts[0].error.clone().unwrap_or_default();
    assert!(error.contains("died: the CRM refuses this contact"), "{error}");
    harness.stop().await;
    Ok(())
}
