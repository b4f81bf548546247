//! The integration tested with `aqueduct::testing` alone: your app and the CRM stood in by
//! wiremock, and each write played back as the written side's webhook, as real ones send.

use super::*;
use aqueduct::testing::Harness;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn side() -> MockServer {
    let side = MockServer::start().await;
    Mock::given(method("PUT")).respond_with(ResponseTemplate::new(204)).mount(&side).await;
    side
}

/// The bodies `side` was PUT, in order.
async fn writes(side: &MockServer) -> Vec<serde_json::Value> {
    let requests = side.received_requests().await.unwrap();
    requests.iter().map(|request| serde_json::from_slice(&request.body).unwrap()).collect()
}

/// How many writes each side has had.
async fn counts(app: &MockServer, crm: &MockServer) -> (usize, usize) {
    (writes(app).await.len(), writes(crm).await.len())
}

/// Plays every write after `seen` back as the written side's webhook, until no run writes
/// anything more (at most ten rounds: without echo suppression it would never end); returns
/// the runs' outputs.
async fn play_back(
    harness: &Harness<Settings>,
    app: &MockServer,
    crm: &MockServer,
    seen: (usize, usize),
) -> Result<Vec<String>> {
    let (mut app_seen, mut crm_seen) = seen;
    let mut outputs = Vec::new();
    for _ in 0..10 {
        let (app_now, crm_now) = (writes(app).await, writes(crm).await);
        if app_now.len() == app_seen && crm_now.len() == crm_seen {
            return Ok(outputs);
        }
        for written in &crm_now[crm_seen..] {
            let answer = harness.webhook::<contact_changed_in_crm>("acme").json(written).send().await?;
            outputs.push(harness.run(answer.run_id().unwrap()).await?.output.unwrap().to_string());
        }
        for written in &app_now[app_seen..] {
            let answer = harness.webhook::<contact_changed_in_app>("acme").json(written).send().await?;
            outputs.push(harness.run(answer.run_id().unwrap()).await?.output.unwrap().to_string());
        }
        (app_seen, crm_seen) = (app_now.len(), crm_now.len());
    }
    Err(Error::msg(format!("still writing after ten rounds: {outputs:?}")))
}

#[tokio::test]
async fn a_change_crosses_once_and_its_echo_does_not_come_back() -> Result<()> {
    let (app, crm) = (side().await, side().await);
    let harness = Harness::start(INTEGRATION).await?;
    harness
        .activate("acme", json!({ "app_url": format!("{}/", app.uri()), "crm_url": format!("{}/", crm.uri()) }))
        .await?;

    let ada = json!({ "email": "ada@example.com", "name": "Ada Lovelace" });
    let before = counts(&app, &crm).await;
    let answer = harness.webhook::<contact_changed_in_app>("acme").json(&ada).send().await?;
    assert_eq!(harness.run(answer.run_id().unwrap()).await?.output, Some(json!("written")));
    assert_eq!(
        writes(&crm).await,
        [json!({ "email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace" })]
    );
    // The CRM reports the write back: an echo, not written to your app.
    assert_eq!(play_back(&harness, &app, &crm, before).await?, [r#""echo""#]);
    assert!(writes(&app).await.is_empty());

    // A change of the CRM's own crosses to your app once, and your app's report of it stops there.
    let renamed = json!({ "email": "ada@example.com", "first_name": "Ada", "last_name": "King" });
    let before = counts(&app, &crm).await;
    let answer = harness.webhook::<contact_changed_in_crm>("acme").json(&renamed).send().await?;
    assert_eq!(harness.run(answer.run_id().unwrap()).await?.output, Some(json!("written")));
    assert_eq!(play_back(&harness, &app, &crm, before).await?, [r#""echo""#]);
    assert_eq!(writes(&app).await, [json!({ "email": "ada@example.com", "name": "Ada King" })]);

    // Renamed back in the CRM — the same content first written there — it is a change, not an echo.
    let back = json!({ "email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace" });
    let answer = harness.webhook::<contact_changed_in_crm>("acme").json(&back).send().await?;
    assert_eq!(harness.run(answer.run_id().unwrap()).await?.output, Some(json!("written")));
    assert_eq!(writes(&app).await.last(), Some(&json!({ "email": "ada@example.com", "name": "Ada Lovelace" })));
    assert_eq!((writes(&app).await.len(), writes(&crm).await.len()), (2, 1));
    harness.stop().await;
    Ok(())
}
