//! Stand-ins on a free loopback port: GitHub (its webhooks API, and the deliveries it signs and
//! sends) and our tracker.

use aqueduct::prelude::*;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post, put};
use hmac::{KeyInit, Mac};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Books {
    hooks: Vec<(u64, Url, String)>,
    tracker: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone)]
pub(crate) struct FakeApps {
    base: Url,
    books: Arc<Mutex<Books>>,
}

impl FakeApps {
    pub(crate) async fn start() -> Result<FakeApps> {
        let books = Arc::new(Mutex::new(Books::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = Url::parse(&format!("http://{}/", listener.local_addr()?))?;
        let apps = FakeApps { base, books };
        let router = axum::Router::new()
            .route("/github/repos/{owner}/{repo}/hooks", post(create_hook))
            .route("/github/repos/{owner}/{repo}/hooks/{id}", delete(delete_hook))
            .route("/github/repos/{owner}/{repo}/hooks/{id}/pings", post(|| async { StatusCode::NO_CONTENT }))
            .route("/tracker/pushes", post(record))
            .route("/tracker/{kind}/{repo}/{number}", put(record_item))
            .with_state(apps.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Ok(apps)
    }

    pub(crate) fn github_url(&self) -> Url {
        self.base.join("github/").expect("a relative path joins")
    }

    pub(crate) fn tracker_url(&self) -> Url {
        self.base.join("tracker/").expect("a relative path joins")
    }

    /// What the tracker holds, one line per record.
    pub(crate) fn tracker(&self) -> Vec<String> {
        let books = self.books.lock().expect("books lock");
        books.tracker.iter().map(|(key, value)| format!("{key}: {value}")).collect()
    }

    /// Sends a delivery the way GitHub does: signed, with its event and a delivery id.
    pub(crate) async fn deliver(&self, event: &str, delivery: &str, body: &'static [u8]) -> Result<String> {
        let (url, secret) = {
            let books = self.books.lock().expect("books lock");
            let (_, url, secret) = books.hooks.last().context("no webhook is registered")?;
            (url.clone(), secret.clone())
        };
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(body);
        let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        let response = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .header("x-github-event", event)
            .header("x-github-delivery", delivery)
            .header("x-hub-signature-256", signature)
            .body(body)
            .send()
            .await?;
        Ok(format!("{} {}", response.status().as_u16(), response.text().await?))
    }
}

#[derive(Deserialize)]
struct NewHook {
    config: NewHookConfig,
}

#[derive(Deserialize)]
struct NewHookConfig {
    url: Url,
    secret: String,
}

async fn create_hook(
    State(apps): State<FakeApps>,
    axum::Json(hook): axum::Json<NewHook>,
) -> (StatusCode, axum::Json<serde_json::Value>) {
    let mut books = apps.books.lock().expect("books lock");
    let id = books.hooks.iter().map(|(id, _, _)| id + 1).max().unwrap_or(1);
    books.hooks.push((id, hook.config.url, hook.config.secret));
    (StatusCode::CREATED, axum::Json(serde_json::json!({ "id": id })))
}

async fn delete_hook(State(apps): State<FakeApps>, Path((_, _, id)): Path<(String, String, u64)>) -> StatusCode {
    apps.books.lock().expect("books lock").hooks.retain(|(hook, _, _)| *hook != id);
    StatusCode::NO_CONTENT
}

async fn record(State(apps): State<FakeApps>, axum::Json(push): axum::Json<serde_json::Value>) -> StatusCode {
    let key = format!("push {}", push["ref"].as_str().unwrap_or_default());
    apps.books.lock().expect("books lock").tracker.insert(key, push["commits"].clone());
    StatusCode::NO_CONTENT
}

async fn record_item(
    State(apps): State<FakeApps>,
    Path((kind, repo, number)): Path<(String, String, u64)>,
    axum::Json(item): axum::Json<serde_json::Value>,
) -> StatusCode {
    let key = format!("{kind} {} #{number}", repo.replace("--", "/"));
    apps.books.lock().expect("books lock").tracker.insert(key, item["title"].clone());
    StatusCode::NO_CONTENT
}
