//! The dashboard in a real browser: headless Chromium, driven over WebDriver by a chromedriver
//! of the test's own, as an operator uses it: signed in with the admin token, a dead run found
//! by its status, its payload and error read, its cause fixed and the run replayed.
//!
//! Without chromedriver or Chromium (the Debian packages `chromium-driver` and `chromium`) the
//! test says so and passes, unless `AQUEDUCT_REQUIRE_SERVICES=1`, where it fails.

use crate::retries::{accepted, started};
use crate::support::Binary;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long the browser gets for something that should show within a second or two.
const BROWSER_PATIENCE: Duration = Duration::from_secs(10);
/// The whole walk through the dashboard, from the browser's start to its end.
const WALK: Duration = Duration::from_secs(45);

/// A chromedriver on a free loopback port, stopped with the browsers it started when dropped.
/// Both keep their temporary files (profiles and all) in a directory removed then.
struct Chromedriver {
    child: Child,
    url: String,
    _temp: tempfile::TempDir,
}

impl Chromedriver {
    /// A chromedriver answering WebDriver requests, or `None` where chromedriver or Chromium is
    /// not installed (a failure where `AQUEDUCT_REQUIRE_SERVICES=1`).
    async fn start() -> Option<Chromedriver> {
        if let Some(missing) = [CHROMEDRIVER, CHROMIUM].into_iter().find(|path| !Path::new(path).exists()) {
            let required = std::env::var("AQUEDUCT_REQUIRE_SERVICES").is_ok_and(|value| value == "1");
            assert!(
                !required,
                "{missing} is not installed (apt-get install chromium chromium-driver), and AQUEDUCT_REQUIRE_SERVICES=1"
            );
            eprintln!("skipped: {missing} is not installed (apt-get install chromium chromium-driver)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let temp = tempfile::TempDir::new().expect("a temporary directory");
        // A process group of its own, which the browsers it starts join, for the drop to end.
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .env("TMPDIR", temp.path())
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let driver = Chromedriver { child, url: format!("http://127.0.0.1:{port}"), _temp: temp };
        let client = reqwest::Client::new();
        let ready = until("chromedriver to answer", BROWSER_PATIENCE, async || {
            let status: Value = client.get(format!("{}/status", driver.url)).send().await.ok()?.json().await.ok()?;
            (status["value"]["ready"] == true).then_some(())
        });
        ready.await;
        Some(driver)
    }

    /// A new headless Chromium session.
    async fn browser(&self) -> Client {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            }),
        );
        // No page load nor script waits longer than the test would.
        capabilities.insert("timeouts".to_owned(), json!({ "pageLoad": 10_000, "script": 10_000, "implicit": 0 }));
        let mut builder = ClientBuilder::rustls().expect("TLS roots");
        builder.capabilities(capabilities);
        tokio::time::timeout(Duration::from_secs(30), builder.connect(&self.url))
            .await
            .expect("Chromium did not start within 30 s")
            .expect("a Chromium session")
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // `/shutdown` quits every session's browser, one a failed test left open too, and the
        // driver; whatever of them lingers is killed with the group.
        let address = self.url.trim_start_matches("http://").parse().expect("a socket address");
        if let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(1)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = stream.write_all(b"GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            let _ = stream.read_to_end(&mut Vec::new());
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.wait();
    }
}

/// Polls `check` every 100 ms until it gives `Some`, or fails the test after `timeout`.
async fn until<T>(what: &str, timeout: Duration, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The element `css` selects, once the page has one.
async fn element(browser: &Client, css: &str) -> Element {
    until(&format!("`{css}` on the page"), BROWSER_PATIENCE, async || browser.find(Locator::Css(css)).await.ok()).await
}

/// The text of the element `css` selects, once it contains `wanted`.
async fn text_containing(browser: &Client, css: &str, wanted: &str) -> String {
    let mut seen = String::new();
    let found = until_or_none(BROWSER_PATIENCE, async || {
        seen = browser.find(Locator::Css(css)).await.ok()?.text().await.ok()?;
        seen.contains(wanted).then(|| seen.clone())
    })
    .await;
    found.unwrap_or_else(|| panic!("`{css}` did not come to contain {wanted:?}; it showed {seen:?}"))
}

/// As [`until`], but `None` after `timeout` for the caller to say what it saw.
async fn until_or_none<T>(timeout: Duration, mut check: impl AsyncFnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The run ids the runs table lists, top to bottom (`None` while a row is being replaced).
async fn listed_runs(browser: &Client) -> Option<Vec<String>> {
    let mut ids = Vec::new();
    for link in browser.find_all(Locator::Css("#runs tbody tr th a")).await.ok()? {
        ids.push(link.text().await.ok()?);
    }
    Some(ids)
}

/// The page's fragment, `/runs/7` for `#/runs/7`.
async fn fragment(browser: &Client) -> String {
    browser.current_url().await.expect("the page's URL").fragment().unwrap_or_default().to_owned()
}

/// An admin API `GET`, with the token.
async fn admin_get(client: &reqwest::Client, url: &str, token: &str) -> Value {
    let response = client.get(url).bearer_auth(token).send().await.expect("the admin API");
    assert_eq!(response.status(), 200, "GET {url}");
    response.json().await.expect("JSON")
}

#[tokio::test]
async fn an_operator_finds_a_dead_run_in_the_dashboard_sees_why_and_replays_it() {
    let Some(driver) = Chromedriver::start().await else { return };
    let binary = Binary::example("probe");
    std::fs::write(binary.dir().join("broken"), "").unwrap();
    let (mut server, client) = started(&binary);
    let token = server.admin_token();
    // Markup in the payload must be shown, not run.
    let body = r#"{"order": 17, "customer": "<img src=x onerror=alert(1)>"}"#;
    let dead = accepted(&client, &server.hook("a", "/fixable"), body).await;
    // A run that succeeds, so the unfiltered list holds more than the dead one.
    let other = accepted(&client, &server.hook("a", "/noop"), r#"{"id": 5}"#).await;
    for (id, status) in [(dead, "dead"), (other, "succeeded")] {
        let url = format!("{}/admin/runs/{id}", server.url);
        until(&format!("run {id} to be {status}"), Duration::from_secs(20), async || {
            (admin_get(&client, &url, &token).await["status"] == status).then_some(())
        })
        .await;
    }
    // Without the cookie nor a token, neither the page nor its script is served.
    for path in ["/admin/ui", "/admin/ui/app.js"] {
        let response = client.get(format!("{}{path}", server.url)).send().await.unwrap();
        assert_eq!(response.status(), 401, "{path} without a token");
    }

    let started_at = Instant::now();
    let browser = driver.browser().await;
    let walk = tokio::time::timeout(WALK, async {
        // Not signed in: the sign-in form, and nothing of the dashboard.
        browser.goto(&format!("{}/admin/ui", server.url)).await.expect("opening the dashboard");
        let form = element(&browser, "form[action='/admin/ui/login']").await;
        assert!(form.find(Locator::Css("#token")).await.is_ok(), "the form asks for the token");
        assert!(browser.find(Locator::Css("#main")).await.is_err(), "no dashboard before signing in");

        // Signed in: the dashboard's runs, every one of them at first.
        element(&browser, "#token").await.send_keys(&token).await.expect("typing the token");
        let sign_in = browser.find(Locator::XPath("//button[normalize-space()='Sign in']")).await.unwrap();
        sign_in.click().await.expect("signing in");
        element(&browser, "#runs").await;
        assert!(browser.current_url().await.unwrap().path().ends_with("/admin/ui"));
        let everything = until("both runs listed", BROWSER_PATIENCE, async || {
            let ids = listed_runs(&browser).await?;
            [dead, other].iter().all(|id| ids.contains(&id.to_string())).then_some(ids)
        })
        .await;
        assert!(everything.len() >= 2, "{everything:?}");

        // Filtered by status: the dead run alone.
        element(&browser, "#filter-status").await.select_by_value("dead").await.expect("choosing `dead`");
        element(&browser, "#run-filters button[type=submit]").await.click().await.expect("applying the filter");
        until("the runs table to list the dead run alone", BROWSER_PATIENCE, async || {
            (listed_runs(&browser).await? == [dead.to_string()]).then_some(())
        })
        .await;
        assert_eq!(fragment(&browser).await, "/runs?status=dead");
        let row = element(&browser, "#runs tbody tr").await;
        assert!(row.find(Locator::Css("span.status.status-dead")).await.is_ok(), "the row shows it dead");
        let link = format!("#runs a[href='#/runs/{dead}']");
        element(&browser, &link).await.click().await.expect("opening the dead run");

        // The run: its payload as it came, pretty-printed, and why it died.
        let payload = text_containing(&browser, "#run-payload", "\"order\": 17").await;
        assert_eq!(
            payload, "{\n  \"order\": 17,\n  \"customer\": \"<img src=x onerror=alert(1)>\"\n}",
            "pretty-printed"
        );
        assert!(browser.find(Locator::Css("#run-payload img")).await.is_err(), "the payload's markup is text");
        let error = text_containing(&browser, "#run-error", "the file `broken` is there").await;
        assert!(error.starts_with("Error:"), "{error}");
        element(&browser, "h1 span.status.status-dead").await;
        assert_eq!(fragment(&browser).await, format!("/runs/{dead}"));

        // The cause fixed and the run replayed: the page moves to the replay, which succeeds.
        std::fs::remove_file(binary.dir().join("broken")).unwrap();
        element(&browser, "#replay").await.click().await.expect("replaying");
        let replay: u64 = until("the page to move to the replay", BROWSER_PATIENCE, async || {
            let id: u64 = fragment(&browser).await.strip_prefix("/runs/")?.parse().ok()?;
            (id != dead).then_some(id)
        })
        .await;
        until("the replay to show succeeded", Duration::from_secs(20), async || {
            browser.find(Locator::Css("h1 span.status.status-succeeded")).await.ok()
        })
        .await;
        // Run with the original input (the flow answers its length), and linked to the dead run.
        let length = body.len().to_string();
        assert_eq!(text_containing(&browser, "#run-output", &length).await, length);
        element(&browser, &format!("#run-detail a[href='#/runs/{dead}']")).await;
        let error = browser.find(Locator::Css("#error")).await.unwrap().text().await.unwrap();
        assert_eq!(error, "", "the dashboard reported no error");
        replay
    })
    .await;
    let replay = walk.unwrap_or_else(|_| panic!("the walk through the dashboard took over {WALK:?}"));
    browser.close().await.expect("closing the browser");
    eprintln!("the dashboard walk took {:?}", started_at.elapsed());

    let run = admin_get(&client, &format!("{}/admin/runs/{replay}", server.url), &token).await;
    assert_eq!((run["status"].as_str(), run["replay_of"].as_u64()), (Some("succeeded"), Some(dead)), "{run}");
}
