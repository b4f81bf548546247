//! The demo: a fake CRM that knows two customers, answering for one at once and for the other
//! after three seconds, and a fake app receiving callbacks. Three lookups: one answered in the
//! call, one the CRM does not know, and one past the two-second wait, answered by callback and
//! at its status URL.

use crate::{Customer, Settings};
use aqueduct::prelude::*;
use axum::extract::{Query, State};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;

/// The fake CRM: `GET /customers?email=…`.
async fn crm() -> Result<Url> {
    let lookup = axum::routing::get(|Query(query): Query<HashMap<String, String>>| async move {
        let email = query.get("email").cloned().unwrap_or_default();
        let (id, name) = match email.as_str() {
            "ada@example.com" => ("c-1", "Ada Lovelace"),
            "grace@example.com" => {
                // A slow query on the CRM's side.
                tokio::time::sleep(Duration::from_secs(3)).await;
                ("c-2", "Grace Hopper")
            }
            _ => return Err(StatusCode::NOT_FOUND),
        };
        Ok(axum::Json(Customer { id: id.into(), name: name.into(), email }))
    });
    serve(axum::Router::new().route("/customers", lookup)).await
}

/// The fake app's callback receiver: hands each callback's signature id and body on.
async fn callbacks() -> Result<(Url, mpsc::UnboundedReceiver<(String, String)>)> {
    let (sender, received) = mpsc::unbounded_channel();
    let receive = axum::routing::post(
        |State(sender): State<mpsc::UnboundedSender<(String, String)>>, headers: HeaderMap, body: String| async move {
            let id = headers.get("webhook-id").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
            let _ = sender.send((id, body));
            StatusCode::NO_CONTENT
        },
    );
    let url = serve(axum::Router::new().route("/lookups/done", receive).with_state(sender)).await?;
    Ok((url.join("lookups/done")?, received))
}

async fn serve(router: axum::Router) -> Result<Url> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = Url::parse(&format!("http://{}/", listener.local_addr()?))?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

pub(crate) async fn run(demo: Demo<Settings>) -> Result<()> {
    let (crm_url, (callback_url, mut received)) = (crm().await?, callbacks().await?);
    println!("fake CRM at {crm_url}; your app takes callbacks at {callback_url}");
    demo.activate(
        "demo",
        serde_json::json!({
            "crm_url": crm_url,
            "crm_token": "crm-token",
            "callback_hosts": ["127.0.0.1"],
            "callback_secret": "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
        }),
    )
    .await?;
    let lookup = demo.endpoint::<crate::lookup_customer>("demo");
    for email in ["ada@example.com", "nobody@example.com"] {
        let answer = demo.http().get(lookup.clone()).query(&[("email", email)]).send().await?;
        println!("\nlookup {email}: {} {}", answer.status(), answer.text().await?);
    }

    let email = "grace@example.com";
    let answer = demo
        .http()
        .get(lookup.clone())
        .query(&[("email", email)])
        .header("x-callback-url", callback_url.as_str())
        .send()
        .await?;
    let location =
        answer.headers().get("location").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    println!("\nlookup {email}: {} after the 2 s wait; the answer will be at {location}", answer.status());
    let (id, body) = tokio::time::timeout(Duration::from_secs(30), received.recv())
        .await
        .map_err(|_| Error::msg("no callback came within 30 s"))?
        .ok_or_else(|| Error::msg("the callback receiver stopped"))?;
    println!("callback {id}: {body}");
    // The run is recorded as succeeded once its callback is taken.
    demo.wait_for_runs::<crate::lookup_customer>(3, Duration::from_secs(30)).await?;
    let answer = demo.http().get(&location).send().await?;
    println!("status URL: {} {}\n", answer.status(), answer.text().await?);
    demo.print_runs().await
}
