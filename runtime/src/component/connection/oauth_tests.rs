//! OAuth2 connections outside a run: tokens are held in memory only (the process tests cover
//! storing them with the instance).

use super::super::Connection;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn connection(crm: &MockServer, kind: &str, extra: serde_json::Value) -> Connection {
    let mut written = serde_json::json!({
        "type": kind,
        "token_url": format!("{}/oauth/token", crm.uri()),
        "client_id": "aqueduct",
        "client_secret": "cl13nt",
    });
    written.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    serde_json::from_value(written).unwrap()
}

fn token(access: &str, expires_in: u64, refresh: Option<&str>) -> ResponseTemplate {
    let mut body = serde_json::json!({ "access_token": access, "token_type": "bearer", "expires_in": expires_in });
    if let Some(refresh) = refresh {
        body["refresh_token"] = refresh.into();
    }
    ResponseTemplate::new(200).set_body_json(body)
}

/// The CRM answers 200 to `Bearer <access>`, 401 to anything else.
async fn accepting(crm: &MockServer, access: &str) {
    Mock::given(method("GET"))
        .and(path("/contacts"))
        .and(header("authorization", format!("Bearer {access}").as_str()))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(1)
        .mount(crm)
        .await;
    Mock::given(method("GET")).and(path("/contacts")).respond_with(ResponseTemplate::new(401)).mount(crm).await;
}

async fn call(crm: &MockServer, connection: &Connection) -> u16 {
    let request = reqwest::Client::new().get(format!("{}/contacts", crm.uri()));
    connection.send(request).await.unwrap().status().as_u16()
}

async fn token_requests(crm: &MockServer) -> Vec<String> {
    let requests = crm.received_requests().await.unwrap();
    requests
        .into_iter()
        .filter(|request| request.url.path() == "/oauth/token")
        .map(|request| String::from_utf8(request.body).unwrap())
        .collect()
}

#[tokio::test]
async fn a_client_credentials_token_is_fetched_once_and_shared_by_clones() {
    let crm = MockServer::start().await;
    // `aqueduct:cl13nt`, base64: the client authenticates with HTTP Basic by default.
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("authorization", "Basic YXF1ZWR1Y3Q6Y2wxM250"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("scope=contacts.read"))
        .respond_with(token("A1", 3600, None))
        .mount(&crm)
        .await;
    accepting(&crm, "A1").await;
    let connection = connection(&crm, "oauth2_client_credentials", serde_json::json!({ "scopes": ["contacts.read"] }));
    for connection in [connection.clone(), connection.clone(), connection] {
        assert_eq!(call(&crm, &connection).await, 200);
    }
    assert_eq!(token_requests(&crm).await.len(), 1);
}

#[tokio::test]
async fn a_token_about_to_expire_is_renewed_before_it_is_used() {
    let crm = MockServer::start().await;
    // Thirty seconds left is less than the minute kept in hand.
    Mock::given(method("POST")).and(path("/oauth/token")).respond_with(token("A1", 30, None)).mount(&crm).await;
    accepting(&crm, "A1").await;
    let connection = connection(&crm, "oauth2_client_credentials", serde_json::json!({ "client_auth": "body" }));
    assert_eq!(call(&crm, &connection).await, 200);
    assert_eq!(call(&crm, &connection).await, 200);
    let requests = token_requests(&crm).await;
    assert_eq!(requests.len(), 2);
    assert!(requests[0].contains("client_secret=cl13nt"), "client_auth = \"body\": {}", requests[0]);
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_sends_again() {
    let crm = MockServer::start().await;
    let endpoint = || Mock::given(method("POST")).and(path("/oauth/token"));
    endpoint().respond_with(token("A1", 3600, None)).up_to_n_times(1).with_priority(1).mount(&crm).await;
    endpoint().respond_with(token("A2", 3600, None)).mount(&crm).await;
    // A1 was revoked before it expired.
    accepting(&crm, "A2").await;
    let connection = connection(&crm, "oauth2_client_credentials", serde_json::json!({}));
    assert_eq!(call(&crm, &connection).await, 200);
    assert_eq!(call(&crm, &connection).await, 200, "A2 is kept");
    assert_eq!(token_requests(&crm).await.len(), 2);
}

#[tokio::test]
async fn a_second_401_is_answered_as_it_is_without_renewing_again() {
    let crm = MockServer::start().await;
    Mock::given(method("POST")).and(path("/oauth/token")).respond_with(token("A1", 3600, None)).mount(&crm).await;
    accepting(&crm, "never").await;
    let connection = connection(&crm, "oauth2_client_credentials", serde_json::json!({}));
    assert_eq!(call(&crm, &connection).await, 401);
    assert_eq!(token_requests(&crm).await.len(), 2, "renewed once, not in a loop");
}

#[tokio::test]
async fn a_rotated_refresh_token_is_the_one_used_next() {
    let crm = MockServer::start().await;
    let endpoint = |refresh: &str| {
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .and(body_string_contains(format!("refresh_token={refresh}")))
    };
    endpoint("R0").respond_with(token("A1", 30, Some("R1"))).mount(&crm).await;
    endpoint("R1").respond_with(token("A2", 3600, None)).mount(&crm).await;
    accepting(&crm, "A2").await;
    let connection = connection(&crm, "oauth2_refresh_token", serde_json::json!({ "refresh_token": "R0" }));
    // A1 is refused, so the call renews it with the refresh token that came with it, R1.
    assert_eq!(call(&crm, &connection).await, 200);
    assert_eq!(call(&crm, &connection).await, 200);
    let requests = token_requests(&crm).await;
    assert_eq!(requests.len(), 2, "A2 is kept: {requests:?}");
    assert!(requests.iter().all(|body| body.contains("grant_type=refresh_token")), "{requests:?}");
    assert!(requests[1].contains("refresh_token=R1"), "{requests:?}");
}

#[tokio::test]
async fn a_refused_refresh_says_what_to_do_and_shows_no_secret() {
    let crm = MockServer::start().await;
    let refusal = serde_json::json!({ "error": "invalid_grant", "error_description": "token revoked" });
    let endpoint = Mock::given(method("POST")).and(path("/oauth/token"));
    endpoint.respond_with(ResponseTemplate::new(400).set_body_json(refusal)).mount(&crm).await;
    let connection = connection(&crm, "oauth2_refresh_token", serde_json::json!({ "refresh_token": "R0" }));
    let request = reqwest::Client::new().get(format!("{}/contacts", crm.uri()));
    let error = format!("{:#}", connection.send(request).await.unwrap_err());
    assert!(error.contains("/oauth/token refused the request: invalid_grant (token revoked)"), "{error}");
    assert!(error.contains("activate the instance with the new `refresh_token`"), "{error}");
    assert!(!error.contains("R0") && !error.contains("cl13nt"), "{error}");
    let shown = format!("{connection:?}");
    assert!(!shown.contains("R0") && !shown.contains("cl13nt") && shown.contains("aqueduct"), "{shown}");
}

#[test]
fn an_incomplete_oauth2_connection_is_refused_naming_the_field() {
    let refused = |written: serde_json::Value| serde_json::from_value::<Connection>(written).unwrap_err().to_string();
    let base = |kind: &str| serde_json::json!({ "type": kind, "token_url": "https://crm.example.com/token", "client_id": "a" });
    let mut no_secret = base("oauth2_client_credentials");
    assert!(refused(no_secret.clone()).contains("missing field `client_secret`"));
    no_secret["client_secret"] = " ".into();
    assert!(refused(no_secret).contains("`client_secret` is empty"));
    assert!(refused(base("oauth2_refresh_token")).contains("missing field `refresh_token`"));
    let mut ftp = base("oauth2_refresh_token");
    ftp["refresh_token"] = "r".into();
    ftp["token_url"] = "ftp://crm.example.com/token".into();
    assert!(refused(ftp).contains("not an http(s) URL"));
}
