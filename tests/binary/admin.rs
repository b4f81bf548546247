//! The admin API and `/metrics`, driven over HTTP as an operator's tools drive them: tokens
//! at the door, runs paged, replayed and read, instances activated through the server, and
//! counters that match the runs made.

use crate::retries::started;
use crate::support::{Binary, PATIENCE, Server, github_signature, post};
use serde_json::{Value, json};

/// Every admin route, as a method and a path, with the body a change sends.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/flows"),
    ("POST", "/admin/flows/tick/pause"),
    ("POST", "/admin/flows/tick/resume"),
    ("GET", "/admin/instances"),
    ("PUT", "/admin/instances/b"),
    ("DELETE", "/admin/instances/a"),
    ("GET", "/admin/runs"),
    ("GET", "/admin/runs/1"),
    ("POST", "/admin/runs/1/replay"),
    ("POST", "/admin/replay"),
    ("GET", "/admin/ui"),
    ("GET", "/admin/ui/app.js"),
    ("GET", "/admin/ui/style.css"),
    ("POST", "/admin/ui/logout"),
];

/// What every admin route answers without a valid token.
const REFUSED: &str = "the admin API needs an admin token: send `Authorization: Bearer TOKEN` (`serve` printed one \
                       at its first start; `admin token create NAME` makes another)";

/// An operator's client: the server's URL and an admin token.
struct Admin {
    url: String,
    token: String,
    client: reqwest::Client,
}

impl Admin {
    fn of(server: &mut Server) -> Admin {
        Admin { url: server.url.clone(), token: server.admin_token(), client: reqwest::Client::new() }
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request =
            self.client.request(method.parse().unwrap(), format!("{}{path}", self.url)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.send("GET", path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }
}

#[tokio::test]
async fn every_admin_route_refuses_a_request_without_a_valid_token_and_tells_nothing() {
    let binary = Binary::example("probe");
    let (mut server, client) = started(&binary);
    let admin = Admin::of(&mut server);
    let run = crate::retries::accepted(&client, &server.hook("a", "/fail"), "").await;
    let wrong = format!("{}x", admin.token);
    for (method, path) in ROUTES {
        let path = path.replace("/1", &format!("/{run}"));
        for token in [None, Some("aqa_guess"), Some(wrong.as_str())] {
            let mut request = client.request(method.parse().unwrap(), format!("{}{path}", server.url));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{method} {path} with {token:?}");
            let body = response.text().await.unwrap();
            // The same answer whatever the route: nothing of the instance `a` or its runs.
            if path == "/admin/ui" {
                assert!(body.contains("name=\"token\"") && !body.contains("fail"), "{body}");
            } else {
                assert_eq!(
                    serde_json::from_str::<Value>(&body).unwrap(),
                    json!({ "error": REFUSED }),
                    "{method} {path}"
                );
            }
        }
        let (status, body) = admin.send(method, &path, None).await;
        assert_ne!(status, 401, "{method} {path} with the token: {body}");
    }
    // The dashboard's page answers the sign-in form, the API says what to send.
    let page = client.get(format!("{}/admin/ui", server.url)).send().await.unwrap();
    assert_eq!(page.status(), 401);
    assert!(page.text().await.unwrap().contains("name=\"token\""));
    let api = client.get(format!("{}/admin/runs", server.url)).send().await.unwrap();
    assert_eq!(api.headers()["www-authenticate"], "Bearer realm=\"aqueduct\"");
}

#[tokio::test]
async fn the_first_token_is_printed_once_and_the_command_line_makes_and_revokes_more() {
    let binary = Binary::example("probe");
    let mut first = binary.serve(&["serve"]);
    let token = first.admin_token();
    drop(first);
    let mut again = binary.serve(&["serve"]);
    again.wait_for_line("serving on", PATIENCE);
    assert!(!again.output().contains("admin token"), "a second start prints no token:\n{}", again.output());

    let made = binary.ok(&["admin", "token", "create", "ops"]);
    let ops = made.trim();
    let taken = binary.run(&["admin", "token", "create", "ops"]);
    assert!(String::from_utf8_lossy(&taken.stderr).contains("there is a token `ops` already"));
    let listed = binary.ok(&["admin", "token", "list"]);
    assert!(listed.contains("first") && listed.contains("ops") && !listed.contains(ops), "{listed}");

    let client = reqwest::Client::new();
    let runs = format!("{}/admin/runs", again.url);
    for token in [&token, ops] {
        assert_eq!(client.get(&runs).bearer_auth(token).send().await.unwrap().status(), 200);
    }
    assert!(binary.ok(&["admin", "token", "revoke", "ops"]).contains("revoked ops"));
    assert_eq!(client.get(&runs).bearer_auth(ops).send().await.unwrap().status(), 401, "revoked at once");
    assert_eq!(client.get(&runs).bearer_auth(&token).send().await.unwrap().status(), 200);
    let gone = binary.run(&["admin", "token", "revoke", "ops"]);
    assert!(!gone.status.success());
    // With every token revoked, a start makes none: only a store that never had one gets one.
    binary.ok(&["admin", "token", "revoke", "first"]);
    drop(again);
    let mut third = binary.serve(&["serve"]);
    third.wait_for_line("serving on", PATIENCE);
    assert!(!third.output().contains("admin token"), "{}", third.output());
    let listed = binary.ok(&["admin", "token", "list"]);
    let revoked = listed.lines().filter(|line| line.starts_with("first") || line.starts_with("ops"));
    assert!(revoked.map(|line| line.matches('Z').count()).eq([2, 2]), "created and revoked times:\n{listed}");
    let stored: Vec<String> = column(&binary, "SELECT digest FROM admin_tokens");
    assert!(stored.iter().all(|digest| digest.len() == 64 && *digest != token), "only digests: {stored:?}");
}

#[tokio::test]
async fn ten_thousand_runs_are_paged_each_once_newest_first_and_filtered() {
    let binary = Binary::example("probe");
    let (mut server, client) = started(&binary);
    let admin = Admin::of(&mut server);
    // Written straight into the store: what is tested is reading them, and 10,000 deliveries
    // would load the machine the other process tests share.
    let ids = binary.write_runs("noop", 10_000);
    assert_eq!(ids.len(), 10_000);
    let failing = crate::retries::accepted(&client, &server.hook("a", "/fail"), "").await;

    let mut seen = Vec::new();
    let mut path = "/admin/runs?flow=noop&limit=500".to_owned();
    loop {
        let page = admin.get(&path).await;
        let runs = page["runs"].as_array().unwrap();
        assert!(runs.len() <= 500);
        seen.extend(runs.iter().map(|run| run["id"].as_u64().unwrap()));
        match page["next"].as_str() {
            Some(cursor) => path = format!("/admin/runs?flow=noop&limit=500&before={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 10_000, "every run once");
    assert!(seen.windows(2).all(|pair| pair[0] > pair[1]), "newest first, none twice");
    assert_eq!(seen.iter().rev().copied().collect::<Vec<_>>(), ids);

    let dead = until("the failing run to die", async || {
        let dead = admin.get("/admin/runs?status=dead").await;
        (dead["runs"].as_array().unwrap().len() == 1).then_some(dead)
    })
    .await;
    assert_eq!(dead["runs"][0]["id"], failing);
    assert_eq!(dead["next"], Value::Null);
    let future = admin.get("/admin/runs?since=2999-01-01T00:00:00Z").await;
    assert_eq!(future["runs"], json!([]));
    for bad in ["status=lost", "since=yesterday", "before=abc", "limit=0", "colour=red"] {
        let (status, body) = admin.send("GET", &format!("/admin/runs?{bad}"), None).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (status, body) = admin.send("GET", "/admin/runs?status=lost", None).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("one of queued"), "{body}");
}

#[tokio::test]
async fn a_dead_run_is_read_and_replayed_through_the_api_once_its_cause_is_fixed() {
    let binary = Binary::example("probe");
    std::fs::write(binary.dir().join("broken"), "").unwrap();
    let (mut server, client) = started(&binary);
    let admin = Admin::of(&mut server);
    let id = crate::retries::accepted(&client, &server.hook("a", "/fixable"), "{\"order\": 17}").await;
    let run = until("the run to die", async || {
        let run = admin.get(&format!("/admin/runs/{id}")).await;
        (run["status"] == "dead").then_some(run)
    })
    .await;
    assert_eq!(run["body"], "{\"order\": 17}");
    assert_eq!(run["error"], "the file `broken` is there");
    assert_eq!(run["history"][0]["error"], "the file `broken` is there");

    let (status, refused) = admin.send("POST", "/admin/runs/999999/replay", None).await;
    assert_eq!((status, refused["error"].as_str()), (404, Some("there is no run 999999")));
    std::fs::remove_file(binary.dir().join("broken")).unwrap();
    let (status, replay) = admin.send("POST", &format!("/admin/runs/{id}/replay"), None).await;
    assert_eq!(status, 202, "{replay}");
    let replay_id = replay["run_id"].as_u64().unwrap();
    let replayed = until("the replay to succeed", async || {
        let run = admin.get(&format!("/admin/runs/{replay_id}")).await;
        (run["status"] == "succeeded").then_some(run)
    })
    .await;
    assert_eq!((replayed["replay_of"].as_u64(), &replayed["output"]), (Some(id), &json!(13)));
    // Bulk replay takes dead runs not replayed yet: there are none now.
    let (status, bulk) = admin.send("POST", "/admin/replay", Some(json!({ "status": "dead" }))).await;
    assert_eq!((status, bulk), (200, json!({ "replayed": [], "refused": [] })));
    let (status, _) = admin.send("POST", "/admin/replay", Some(json!({ "status": "running" }))).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn an_instance_is_activated_paused_and_deactivated_through_the_server_and_no_secret_is_shown() {
    let binary = Binary::example("probe");
    let public_url = "https://hooks.example.com/base";
    let mut server = binary.serve(&["serve", "--public-url", public_url]);
    let admin = Admin { url: server.url.clone(), token: server.admin_token(), client: reqwest::Client::new() };
    let secret = "s3cr3t-github-value";
    let config = json!({ "label": "first", "github_secret": secret, "hub_token": "hub-s3cr3t" });
    let (status, activated) = admin.send("PUT", "/admin/instances/acme", Some(config)).await;
    assert_eq!(status, 200, "{activated}");
    let endpoints = activated["endpoints"].as_array().unwrap();
    let github = endpoints.iter().find(|endpoint| endpoint["flow"] == "github").unwrap();
    assert_eq!(github["url"], "https://hooks.example.com/base/hooks/acme/github", "the server's own public URL");

    let (status, refused) = admin.send("PUT", "/admin/instances/acme", Some(json!({ "lable": "typo" }))).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("label"), "{refused}");
    let (status, _) = admin.send("PUT", "/admin/instances/acme", None).await;
    assert_eq!(status, 400, "no JSON");

    // A signed delivery with credentials in its headers, so runs have something to leak.
    let body = br#"{"action":"opened"}"#;
    let delivery = admin
        .client
        .post(format!("{}/hooks/acme/github", server.url))
        .header("X-Hub-Signature-256", github_signature(secret, body))
        .header("Authorization", "Bearer caller-s3cr3t")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(delivery.status(), 202);

    let (status, paused) = admin.send("POST", "/admin/flows/tick/pause", Some(json!({ "instance": "acme" }))).await;
    assert_eq!((status, &paused["changed"]), (200, &json!(true)), "{paused}");
    let flows = admin.get("/admin/flows").await;
    let tick = flows["flows"].as_array().unwrap().iter().find(|flow| flow["name"] == "tick").unwrap().clone();
    assert_eq!(tick["paused"], json!(["acme"]), "{tick}");
    let (status, _) = admin.send("POST", "/admin/flows/fail/pause", None).await;
    assert_eq!(status, 404, "not a schedule");
    let (status, resumed) = admin.send("POST", "/admin/flows/tick/resume", Some(json!({ "instance": "acme" }))).await;
    assert_eq!((status, &resumed["changed"]), (200, &json!(true)));

    let runs = admin.get("/admin/runs").await;
    let mut responses = vec![admin.get("/admin/instances").await, flows, runs.clone()];
    for run in runs["runs"].as_array().unwrap() {
        responses.push(admin.get(&format!("/admin/runs/{}", run["id"])).await);
    }
    for secret in [secret, "hub-s3cr3t", "caller-s3cr3t"] {
        for response in &responses {
            assert!(!response.to_string().contains(secret), "`{secret}` in {response}");
        }
    }
    // The caller's credential was not stored either, so no later reader can show it.
    let headers: Vec<Vec<u8>> = column(&binary, "SELECT headers FROM payloads");
    assert!(headers.iter().any(|headers| String::from_utf8_lossy(headers).contains("x-hub-signature-256")));
    assert!(headers.iter().all(|headers| !String::from_utf8_lossy(headers).contains("caller-s3cr3t")));
    // A run's status URL also opens to an admin token.
    let id = runs["runs"][0]["id"].as_u64().unwrap();
    let (status, run) = admin.send("GET", &format!("/runs/{id}"), None).await;
    assert_eq!((status, &run["id"]), (200, &json!(id)), "{run}");

    let (status, gone) = admin.send("DELETE", "/admin/instances/acme", None).await;
    assert_eq!(status, 200, "{gone}");
    let (status, _) = admin.send("DELETE", "/admin/instances/acme", None).await;
    assert_eq!(status, 404);
    let instances = admin.get("/admin/instances").await;
    assert_eq!(instances["instances"][0]["active"], false);
    drop(server);
}

#[tokio::test]
async fn a_change_signed_by_the_dashboards_cookie_must_come_from_the_dashboard() {
    let binary = Binary::example("probe");
    let mut server = binary.serve(&["serve"]);
    let token = server.admin_token();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let signed_in = client
        .post(format!("{}/admin/ui/login", server.url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let page = client.get(format!("{}/admin/ui", server.url)).header("Cookie", &cookie).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let pause = format!("{}/admin/flows/tick/pause", server.url);
    let forged = client.post(&pause).header("Cookie", &cookie).send().await.unwrap();
    assert_eq!(forged.status(), 403, "a form on another site sends the cookie, not the header");
    let ours =
        client.post(&pause).header("Cookie", &cookie).header("X-Requested-With", "aqueduct").send().await.unwrap();
    assert_eq!(ours.status(), 200);
    let wrong = client.post(format!("{}/admin/ui/login", server.url)).body("token=aqa_wrong").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_count_the_runs_made() {
    let binary = Binary::example("probe");
    let (server, client) = started(&binary);
    for id in 0..7 {
        let (status, answer) = post(&client, &server.hook("a", "/noop"), format!("{{\"id\":{id}}}")).await;
        assert_eq!(status, 202, "{answer}");
    }
    let (status, _) = post(&client, &server.hook("a", "/noop"), "not json").await;
    assert_eq!(status, 400);
    let samples = until("the seven runs and a tick to be counted", async || {
        let text = client.get(format!("{}/metrics", server.url)).send().await.unwrap().text().await.unwrap();
        let lines = text.lines().map(|line| Ok(line.to_owned()));
        let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text format");
        let succeeded = value(&scrape, "aqueduct_runs_total", &[("flow", "noop"), ("status", "succeeded")]);
        // `tick` fires every second: its lateness is there once it has fired.
        let ticked = value(&scrape, "aqueduct_tick_lateness_seconds_count", &[("flow", "tick")]).is_some();
        (succeeded == Some(7.0) && ticked).then_some(scrape)
    })
    .await;
    let noop = "/noop";
    assert_eq!(value(&samples, "aqueduct_deliveries_total", &[("endpoint", noop), ("status", "202")]), Some(7.0));
    assert_eq!(value(&samples, "aqueduct_deliveries_total", &[("endpoint", noop), ("status", "400")]), Some(1.0));
    assert_eq!(value(&samples, "aqueduct_runs_admitted_total", &[("flow", "noop")]), Some(7.0));
    assert_eq!(value(&samples, "aqueduct_run_duration_seconds_count", &[("flow", "noop")]), Some(7.0));
    assert_eq!(value(&samples, "aqueduct_run_start_delay_seconds_count", &[("flow", "noop")]), Some(7.0));
    assert!(value(&samples, "aqueduct_store_commit_seconds_count", &[("write", "admit")]) >= Some(7.0));
    assert!(value(&samples, "aqueduct_queue_depth", &[]).is_some());
}

/// The one column `query` selects from the binary's store, row by row.
fn column<T: rusqlite::types::FromSql>(binary: &Binary, query: &str) -> Vec<T> {
    let database = binary.database();
    let mut statement = database.prepare(query).unwrap();
    statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect()
}

/// Polls `check` until it gives `Some`, or fails the test after [`PATIENCE`].
async fn until<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "waited {PATIENCE:?} for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The value of the sample `name` whose labels include `labels` (a histogram's `_count` is a
/// sample of its own).
fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .filter(|sample| sample.metric == name)
        .find(|sample| labels.iter().all(|(label, value)| sample.labels.get(label) == Some(*value)))
        .and_then(|sample| match sample.value {
            prometheus_parse::Value::Counter(value)
            | prometheus_parse::Value::Gauge(value)
            | prometheus_parse::Value::Untyped(value) => Some(value),
            _ => None,
        })
}
