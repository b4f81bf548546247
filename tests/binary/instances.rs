//! Activation checks the configuration and runs on_activate; deactivation runs on_deactivate.

use crate::support::Binary;
use crate::webhooks::{accept_registration, inventory_config};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn a_config_without_a_field_fails_and_names_it() {
    let fake = MockServer::start().await;
    accept_registration(&fake).await;
    let binary = Binary::example("inventory_sync");
    let without_token = inventory_config(&fake)
        .lines()
        .filter(|line| !line.starts_with("inventory_token"))
        .collect::<Vec<_>>()
        .join("\n");

    let output = binary.activate("acme", &without_token, "http://127.0.0.1:9");
    assert!(!output.status.success());
    assert!(stderr(&output).contains("missing field `inventory_token`"), "{}", stderr(&output));

    let bad_url = inventory_config(&fake).replacen(&format!("{}/inventory/", fake.uri()), "not a url", 1);
    let output = binary.activate("acme", &bad_url, "http://127.0.0.1:9");
    assert!(!output.status.success());
    assert!(stderr(&output).contains("at `inventory_url`"), "{}", stderr(&output));

    let output = binary.activate("Acme Corp", &inventory_config(&fake), "http://127.0.0.1:9");
    assert!(!output.status.success());
    assert!(stderr(&output).contains("cannot name an instance"), "{}", stderr(&output));

    assert_eq!(binary.json(&["instances", "list", "--json"]), json!([]), "a failed activation stored an instance");
    assert!(fake.received_requests().await.unwrap().is_empty(), "on_activate ran with a bad configuration");
}

#[tokio::test]
async fn a_failing_on_activate_leaves_the_instance_inactive() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/inventory/webhooks"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&fake)
        .await;
    let binary = Binary::example("inventory_sync");

    let output = binary.activate("acme", &inventory_config(&fake), "http://127.0.0.1:9");
    assert!(!output.status.success());
    assert!(stderr(&output).contains("register_webhook"), "{}", stderr(&output));
    assert!(stderr(&output).contains("500"), "{}", stderr(&output));
    let instances = binary.json(&["instances", "list", "--json"]);
    assert_eq!(
        (instances[0]["name"].as_str(), instances[0]["active"].as_bool()),
        (Some("acme"), Some(false)),
        "{instances}"
    );
    let runs = binary.runs();
    assert_eq!((runs[0]["flow"].as_str(), runs[0]["status"].as_str()), (Some("register_webhook"), Some("dead")));
}

#[tokio::test]
async fn deactivation_runs_on_deactivate_and_retires_the_instance() {
    let fake = MockServer::start().await;
    accept_registration(&fake).await;
    let binary = Binary::example("inventory_sync");
    let public_url = "http://127.0.0.1:9";
    let ours = format!("{public_url}/hooks/acme/inventory");
    Mock::given(method("GET"))
        .and(path("/inventory/webhooks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            { "id": 7, "url": ours },
            { "id": 8, "url": "https://someone.else/hook" },
        ])))
        .mount(&fake)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/inventory/webhooks/7"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&fake)
        .await;

    assert!(binary.activate("acme", &inventory_config(&fake), public_url).status.success());
    assert_eq!(binary.json(&["instances", "list", "--json"])[0]["active"], true);
    let output = binary.ok(&["instances", "deactivate", "acme", "--public-url", public_url]);
    assert!(output.contains("deactivated acme"), "{output}");

    fake.verify().await;
    assert_eq!(binary.json(&["instances", "list", "--json"])[0]["active"], false);
    let runs = binary.runs();
    assert_eq!(
        (runs[0]["flow"].as_str(), runs[0]["cause"].as_str(), runs[0]["status"].as_str()),
        (Some("remove_webhook"), Some("deactivate"), Some("succeeded"))
    );

    let again = binary.run(&["instances", "deactivate", "acme"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("no active instance `acme`"), "{}", stderr(&again));
}

#[tokio::test]
async fn a_failing_on_deactivate_keeps_the_instance_unless_forced() {
    let fake = MockServer::start().await;
    accept_registration(&fake).await;
    Mock::given(method("GET"))
        .and(path("/inventory/webhooks"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&fake)
        .await;
    let binary = Binary::example("inventory_sync");
    assert!(binary.activate("acme", &inventory_config(&fake), "http://127.0.0.1:9").status.success());

    let refused = binary.run(&["instances", "deactivate", "acme"]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("stays active"), "{}", stderr(&refused));
    assert_eq!(binary.json(&["instances", "list", "--json"])[0]["active"], true);

    binary.ok(&["instances", "deactivate", "acme", "--force"]);
    assert_eq!(binary.json(&["instances", "list", "--json"])[0]["active"], false);
}

#[tokio::test]
async fn a_failing_reactivation_keeps_the_earlier_configuration() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/inventory/webhooks"))
        .respond_with(ResponseTemplate::new(201))
        .up_to_n_times(1)
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .and(path("/inventory/webhooks"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&fake)
        .await;
    // The earlier registration is listed, and removed, before registering again.
    Mock::given(method("GET"))
        .and(path("/inventory/webhooks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&fake)
        .await;
    let binary = Binary::example("inventory_sync");
    assert!(binary.activate("acme", &inventory_config(&fake), "http://127.0.0.1:9").status.success());
    let stored = || -> String {
        let database = binary.database();
        database.query_row("SELECT config FROM instances WHERE name = 'acme'", [], |row| row.get(0)).unwrap()
    };
    let first = stored();
    assert!(!first.contains("t0ken"), "the configuration is stored encrypted");
    let changed = inventory_config(&fake).replace("t0ken", "n3w");
    let refused = binary.activate("acme", &changed, "http://127.0.0.1:9");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("its earlier state is restored"));

    let instances = binary.json(&["instances", "list", "--json"]);
    assert_eq!(instances[0]["active"], true, "{instances}");
    assert_eq!(stored(), first, "the earlier configuration, as it was stored, is back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_sent_while_on_activate_runs_are_accepted() {
    let fake = MockServer::start().await;
    // The provider answers the registration slowly, as if it first pinged the new endpoint.
    Mock::given(method("POST"))
        .and(path("/inventory/webhooks"))
        .respond_with(ResponseTemplate::new(201).set_delay(std::time::Duration::from_millis(1500)))
        .mount(&fake)
        .await;
    let binary = Binary::example("inventory_sync");
    let server = binary.serve(&["serve"]);
    let activating = {
        let (file, url) = (binary.dir().join("acme.toml"), server.url.clone());
        std::fs::write(&file, inventory_config(&fake)).unwrap();
        binary
            .command()
            .args(["instances", "activate", "acme", "--config", file.to_str().unwrap(), "--public-url", &url])
            .spawn()
            .unwrap()
    };
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let ping =
        reqwest::Client::new().post(server.hook("acme", "/inventory")).body(r#"{"updates":[]}"#).send().await.unwrap();
    assert_eq!(ping.status(), 202, "a delivery during activation was refused");
    let finished = tokio::task::block_in_place(|| activating.wait_with_output()).unwrap();
    assert!(finished.status.success());
}

/// `instances activate` names endpoints with the URL the server recorded, not its own
/// defaults, and says so when `--public-url` disagrees or no server has recorded one.
#[tokio::test]
async fn activation_names_endpoints_with_the_servers_recorded_url() {
    let fake = MockServer::start().await;
    let binary = Binary::example("inventory_sync");
    let config = binary.dir().join("acme.toml");
    std::fs::write(&config, inventory_config(&fake)).unwrap();
    let activate = |extra: &[&str]| {
        let mut args = vec!["instances", "activate", "acme", "--config", config.to_str().unwrap()];
        args.extend_from_slice(extra);
        binary.run(&args)
    };

    accept_registration(&fake).await;
    // Activating again removes the earlier registration first: none is listed here.
    Mock::given(method("GET"))
        .and(path("/inventory/webhooks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .mount(&fake)
        .await;
    let before_any_server = activate(&[]);
    assert!(before_any_server.status.success(), "{}", stderr(&before_any_server));
    assert!(
        stderr(&before_any_server).contains("no server has recorded its public URL"),
        "{}",
        stderr(&before_any_server)
    );
    assert!(String::from_utf8_lossy(&before_any_server.stdout).contains("http://127.0.0.1:8080/hooks/acme/inventory"));

    let server = binary.serve(&["serve"]);
    let recorded = activate(&[]);
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    assert!(String::from_utf8_lossy(&recorded.stdout).contains(&server.hook("acme", "/inventory")), "{recorded:?}");
    assert!(stderr(&recorded).is_empty(), "{}", stderr(&recorded));
    let registered: Vec<serde_json::Value> = fake
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|request| request.url.path() == "/inventory/webhooks" && request.method.as_str() == "POST")
        .map(|request| request.body_json().unwrap())
        .collect();
    assert_eq!(registered.last().unwrap()["url"], server.hook("acme", "/inventory"), "on_activate registered it");

    let elsewhere = activate(&["--public-url", "https://hooks.example.com"]);
    assert!(elsewhere.status.success(), "{}", stderr(&elsewhere));
    assert!(String::from_utf8_lossy(&elsewhere.stdout).contains("https://hooks.example.com/hooks/acme/inventory"));
    assert!(stderr(&elsewhere).contains(&format!("not {}/", server.url)), "{}", stderr(&elsewhere));
}

/// A server whose public URL names no reachable host gets its commands to say so.
#[test]
fn a_recorded_url_no_one_can_reach_is_pointed_out() {
    let binary = Binary::example("probe");
    let _server = binary.serve(&["serve", "--public-url", "http://0.0.0.0:8080"]);
    let config = binary.dir().join("a.toml");
    std::fs::write(&config, "label = \"a\"").unwrap();
    let activated = binary.run(&["instances", "activate", "a", "--config", config.to_str().unwrap()]);
    assert!(activated.status.success(), "{}", stderr(&activated));
    assert!(stderr(&activated).contains("no third party can reach"), "{}", stderr(&activated));
}

#[test]
fn instances_schema_prints_the_config_type_with_its_secrets_marked_or_says_what_to_derive() {
    let schema: serde_json::Value =
        serde_json::from_str(&Binary::example("orders_export").ok(&["instances", "schema"])).unwrap();
    let properties = &schema["properties"];
    assert_eq!(schema["required"], serde_json::json!(["orders_secret", "accounting_url", "accounting"]), "{schema}");
    assert_eq!(properties["orders_secret"]["x-secret"], true, "{schema}");
    assert_eq!(
        properties["orders_secret"]["description"],
        "Your product signs its webhooks to this integration with this secret."
    );
    assert_eq!(properties["accounting_url"]["format"], "uri", "{schema}");
    // The connection: one object per kind, its secrets marked.
    let connection = &schema["$defs"]["Connection"];
    let kinds: Vec<&str> = connection["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kind| kind["properties"]["type"]["const"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["api_key", "bearer", "basic", "oauth2_client_credentials", "oauth2_refresh_token"]);
    assert_eq!(connection["oneOf"][4]["properties"]["refresh_token"]["writeOnly"], true, "{schema}");

    let without = Binary::example("probe").run(&["instances", "schema"]);
    assert!(!without.status.success());
    let said = stderr(&without);
    assert!(said.contains("has no JSON Schema: derive `JsonSchema` for it"), "{said}");
}
