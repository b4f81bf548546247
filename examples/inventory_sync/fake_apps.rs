//! Stand-ins for the two outside services, on a free loopback port: the customer's inventory
//! app (which, once our webhook is registered, sends it stock changes) and our catalog.

use aqueduct::prelude::*;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, post, put};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The API token the fake inventory app accepts.
pub(crate) const TOKEN: &str = "demo-token";

#[derive(Default)]
struct Books {
    inventory: BTreeMap<String, i64>,
    catalog: BTreeMap<String, i64>,
    webhooks: Vec<(u64, Url)>,
}

#[derive(Clone)]
struct Shared {
    books: Arc<Mutex<Books>>,
    deliveries: &'static [&'static str],
}

pub(crate) struct FakeApps {
    base: Url,
    books: Arc<Mutex<Books>>,
}

impl FakeApps {
    /// Starts both apps; the inventory app sends `deliveries` to each webhook registered with it.
    pub(crate) async fn start(deliveries: &'static [&'static str]) -> Result<FakeApps> {
        let books = Arc::new(Mutex::new(Books {
            inventory: BTreeMap::from([("gadgets".into(), 12), ("sprockets".into(), 0), ("widgets".into(), 40)]),
            ..Books::default()
        }));
        let shared = Shared { books: books.clone(), deliveries };
        let router = axum::Router::new()
            .route("/inventory/webhooks", post(register).get(list_webhooks))
            .route("/inventory/webhooks/{id}", delete(remove))
            .route("/inventory/stock", get(stock))
            .route("/catalog/stock/{item}/adjust", post(adjust))
            .route("/catalog/stock/{item}", put(set))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = Url::parse(&format!("http://{}/", listener.local_addr()?))?;
        tokio::spawn(async move { axum::serve(listener, router).await });
        Ok(FakeApps { base, books })
    }

    pub(crate) fn inventory_url(&self) -> Url {
        self.base.join("inventory/").expect("a relative path joins")
    }

    pub(crate) fn catalog_url(&self) -> Url {
        self.base.join("catalog/").expect("a relative path joins")
    }

    /// The catalog's stock levels, as `item=quantity` pairs.
    pub(crate) fn catalog_stock(&self) -> String {
        let books = self.books.lock().expect("books lock");
        books.catalog.iter().map(|(item, quantity)| format!("{item}={quantity}")).collect::<Vec<_>>().join(", ")
    }
}

fn authorized(headers: &HeaderMap) -> Result<(), StatusCode> {
    let expected = format!("Bearer {TOKEN}");
    match headers.get("authorization") {
        Some(value) if value == expected.as_str() => Ok(()),
        _ => Err(StatusCode::UNAUTHORIZED),
    }
}

#[derive(Deserialize)]
struct NewWebhook {
    url: Url,
}

async fn register(
    State(shared): State<Shared>,
    headers: HeaderMap,
    axum::Json(hook): axum::Json<NewWebhook>,
) -> Result<StatusCode, StatusCode> {
    authorized(&headers)?;
    {
        let mut books = shared.books.lock().expect("books lock");
        let id = books.webhooks.len() as u64 + 1;
        books.webhooks.push((id, hook.url.clone()));
    }
    // Like a real app, start sending events once the webhook exists.
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        for delivery in shared.deliveries {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let sent =
                client.post(hook.url.clone()).header("content-type", "application/json").body(*delivery).send().await;
            if let Err(error) = sent {
                eprintln!("the fake inventory app could not deliver: {error}");
            }
        }
    });
    Ok(StatusCode::CREATED)
}

async fn list_webhooks(
    State(shared): State<Shared>,
    headers: HeaderMap,
) -> Result<axum::Json<serde_json::Value>, StatusCode> {
    authorized(&headers)?;
    let books = shared.books.lock().expect("books lock");
    let hooks: Vec<_> = books.webhooks.iter().map(|(id, url)| serde_json::json!({ "id": id, "url": url })).collect();
    Ok(axum::Json(serde_json::json!(hooks)))
}

async fn remove(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<u64>,
) -> Result<StatusCode, StatusCode> {
    authorized(&headers)?;
    shared.books.lock().expect("books lock").webhooks.retain(|(hook, _)| *hook != id);
    Ok(StatusCode::NO_CONTENT)
}

async fn stock(State(shared): State<Shared>, headers: HeaderMap) -> Result<axum::Json<serde_json::Value>, StatusCode> {
    authorized(&headers)?;
    let books = shared.books.lock().expect("books lock");
    let levels: Vec<_> = books
        .inventory
        .iter()
        .map(|(item, quantity)| serde_json::json!({ "item": item, "quantity": quantity }))
        .collect();
    Ok(axum::Json(serde_json::json!(levels)))
}

#[derive(Deserialize)]
struct Adjustment {
    delta: i64,
}

async fn adjust(
    State(shared): State<Shared>,
    Path(item): Path<String>,
    axum::Json(change): axum::Json<Adjustment>,
) -> StatusCode {
    *shared.books.lock().expect("books lock").catalog.entry(item).or_default() += change.delta;
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Level {
    quantity: i64,
}

async fn set(
    State(shared): State<Shared>,
    Path(item): Path<String>,
    axum::Json(level): axum::Json<Level>,
) -> StatusCode {
    shared.books.lock().expect("books lock").catalog.insert(item, level.quantity);
    StatusCode::NO_CONTENT
}
