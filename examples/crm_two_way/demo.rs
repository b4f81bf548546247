//! The demo: a fake app and a fake CRM that keep contacts and, like real ones, send a webhook
//! to the integration for every change — the integration's own writes included. One contact
//! is changed in the app and one in the CRM; each crosses once and its echo stops.

use crate::Settings;
use aqueduct::prelude::*;
use axum::extract::{Path, State};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One side: its contacts, and where it reports their changes.
struct Side {
    name: &'static str,
    contacts: Mutex<BTreeMap<String, serde_json::Value>>,
    webhook: Url,
    http: reqwest::Client,
}

impl Side {
    /// Keeps `contact` and reports it, as a change, to the integration.
    async fn change(&self, email: &str, contact: serde_json::Value) {
        self.contacts.lock().unwrap().insert(email.to_owned(), contact.clone());
        println!("  {}: {email} is now {contact}; reporting it", self.name);
        if let Err(error) = self.http.post(self.webhook.clone()).json(&contact).send().await {
            println!("  {}: reporting failed: {error}", self.name);
        }
    }
}

async fn serve(side: Arc<Side>) -> Result<Url> {
    let put = axum::routing::put(
        |State(side): State<Arc<Side>>,
         Path(email): Path<String>,
         axum::Json(contact): axum::Json<serde_json::Value>| async move {
            // Reported after answering, as a real system's webhook would be.
            tokio::spawn(async move { side.change(&email, contact).await });
            http::StatusCode::NO_CONTENT
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = Url::parse(&format!("http://{}/", listener.local_addr()?))?;
    let router = axum::Router::new().route("/contacts/{email}", put).with_state(side);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

pub(crate) async fn run(demo: Demo<Settings>) -> Result<()> {
    let side = |name, webhook| Arc::new(Side { name, contacts: Mutex::default(), webhook, http: demo.http().clone() });
    let app = side("your app", demo.endpoint::<crate::contact_changed_in_app>("demo"));
    let crm = side("CRM", demo.endpoint::<crate::contact_changed_in_crm>("demo"));
    let (app_url, crm_url) = (serve(app.clone()).await?, serve(crm.clone()).await?);
    println!("fake app at {app_url}, fake CRM at {crm_url}");
    demo.activate("demo", serde_json::json!({ "app_url": app_url, "crm_url": crm_url })).await?;

    println!("\na contact changes in your app:");
    app.change("ada@example.com", serde_json::json!({ "email": "ada@example.com", "name": "Ada Lovelace" })).await;
    demo.wait_for_runs::<crate::contact_changed_in_crm>(1, Duration::from_secs(30)).await?;
    println!("\na contact changes in the CRM:");
    let grace = serde_json::json!({ "email": "grace@example.com", "first_name": "Grace", "last_name": "Hopper" });
    crm.change("grace@example.com", grace).await;
    demo.wait_for_runs::<crate::contact_changed_in_app>(2, Duration::from_secs(30)).await?;
    // Anything still going round would show up here.
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!();
    demo.print_runs().await?;
    println!(
        "\nyour app has {} contacts, the CRM {}; four runs, the two reports of the integration's own writes told echoes",
        app.contacts.lock().unwrap().len(),
        crm.contacts.lock().unwrap().len()
    );
    Ok(())
}
