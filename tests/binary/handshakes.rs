//! Subscription handshakes are answered at the endpoint and store nothing.

use crate::support::{Binary, Server, hmac_sha256};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

fn started() -> (Binary, Server) {
    let binary = Binary::example("probe");
    let server = binary.serve(&["serve"]);
    let config = format!("label = \"a\"\nslack_secret = \"{SLACK_SECRET}\"\nhub_token = \"let-me-in\"");
    assert!(binary.activate("a", &config, &server.url).status.success());
    (binary, server)
}

fn slack_signed(body: &str) -> Vec<(&'static str, String)> {
    let timestamp = jiff::Timestamp::now().as_second().to_string();
    let signature = hmac_sha256(SLACK_SECRET.as_bytes(), format!("v0:{timestamp}:{body}").as_bytes());
    vec![("x-slack-request-timestamp", timestamp), ("x-slack-signature", format!("v0={}", hex::encode(signature)))]
}

async fn send(server: &Server, path: &str, headers: Vec<(&'static str, String)>, body: &str) -> reqwest::Response {
    let mut request = reqwest::Client::new().post(server.hook("a", path)).body(body.to_owned());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request.send().await.unwrap()
}

fn runs(binary: &Binary) -> usize {
    binary.runs().iter().filter(|run| run["cause"] == "webhook").count()
}

#[tokio::test]
async fn slack_url_verification_is_echoed_once_the_signature_verifies() {
    let (binary, server) = started();
    let challenge = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let answer = send(&server, "/slack", slack_signed(challenge), challenge).await;
    assert_eq!(answer.status(), 200);
    let answer: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(answer["challenge"], "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
    assert_eq!(send(&server, "/slack", vec![], challenge).await.status(), 401, "an unsigned handshake");
    assert_eq!(runs(&binary), 0, "a handshake stored a run");

    let event = r#"{"type":"event_callback","event":{"type":"app_mention"}}"#;
    assert_eq!(send(&server, "/slack", slack_signed(event), event).await.status(), 202);
    assert_eq!(runs(&binary), 1);
}

#[tokio::test]
async fn a_hub_challenge_is_answered_when_the_verify_token_matches() {
    let (binary, server) = started();
    let client = reqwest::Client::new();
    let url = |token: &str| {
        format!("{}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={token}", server.hook("a", "/meta"))
    };
    let answer = client.get(url("let-me-in")).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), "1158201444");
    assert_eq!(client.get(url("guess")).send().await.unwrap().status(), 403);
    assert_eq!(client.get(server.hook("a", "/meta")).send().await.unwrap().status(), 400);
    assert_eq!(
        client.get(server.hook("a", "/slack")).send().await.unwrap().status(),
        405,
        "GET only where a handshake uses it"
    );
    assert_eq!(runs(&binary), 0);
}

#[tokio::test]
async fn an_sns_subscription_is_confirmed_by_fetching_its_subscribe_url() {
    let (binary, server) = started();
    let aws = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/confirm"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&aws)
        .await;
    let confirmation = serde_json::json!({
        "Type": "SubscriptionConfirmation",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
        "SubscribeURL": format!("{}/confirm?Action=ConfirmSubscription&Token=2336412f37", aws.uri()),
    })
    .to_string();
    let answer =
        send(&server, "/sns", vec![("x-amz-sns-message-type", "SubscriptionConfirmation".into())], &confirmation).await;
    assert_eq!(answer.status(), 200);
    aws.verify().await;

    let elsewhere = confirmation.replace("127.0.0.1", "169.254.169.254");
    let answer =
        send(&server, "/sns", vec![("x-amz-sns-message-type", "SubscriptionConfirmation".into())], &elsewhere).await;
    assert_eq!(answer.status(), 403, "a SubscribeURL outside the allowed hosts is not fetched");
    assert_eq!(runs(&binary), 0);

    // An allowed host that redirects elsewhere is not followed.
    let inside = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&inside).await;
    Mock::given(method("GET"))
        .and(path("/redirect"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", format!("{}/metadata", inside.uri())))
        .expect(1)
        .mount(&aws)
        .await;
    let redirecting = confirmation.replace("/confirm", "/redirect");
    let answer =
        send(&server, "/sns", vec![("x-amz-sns-message-type", "SubscriptionConfirmation".into())], &redirecting).await;
    assert_eq!(answer.status(), 502, "a redirect is an answer SNS does not give");
    inside.verify().await;

    let notification = r#"{"Type":"Notification","Message":"hello"}"#;
    let answer = send(&server, "/sns", vec![("x-amz-sns-message-type", "Notification".into())], notification).await;
    assert_eq!(answer.status(), 202);
    assert_eq!(runs(&binary), 1);
}
