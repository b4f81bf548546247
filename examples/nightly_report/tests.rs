//! The integration tested with `aqueduct::testing`: your app stood in by wiremock, the
//! reports folder a local one, and the real S3-compatible server `.ci/run` starts
//! (`AQUEDUCT_S3_*`).

use super::*;
use aqueduct::testing::Harness;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn sale(n: u32) -> serde_json::Value {
    json!({ "order_id": format!("S-{n}"), "sku": "W", "quantity": n, "total_cents": n * 100 })
}

/// An app with three sales on 2026-11-30, two a page; its second page fails once.
async fn app() -> MockServer {
    let app = MockServer::start().await;
    let page = |n: &str, sales: Vec<serde_json::Value>, next: Option<u32>| {
        Mock::given(method("GET"))
            .and(path("/sales"))
            .and(query_param("date", "2026-11-30"))
            .and(query_param("page", n))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "sales": sales, "next_page": next })))
    };
    page("1", vec![sale(1), sale(2)], Some(2)).mount(&app).await;
    Mock::given(method("GET"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app)
        .await;
    page("2", vec![sale(3)], None).mount(&app).await;
    app
}

const REPORT: &str = "order_id,sku,quantity,total_cents\nS-1,W,1,100\nS-2,W,2,200\nS-3,W,3,300\n";

/// The night's report: its first attempt fails after writing a page, and leaves nothing; the
/// retry writes it whole. A second run for the same night replaces it. `read` lists the
/// folder's files under `sales/` with their contents.
async fn nightly_report_is_written_whole_once<F, Fut>(reports: serde_json::Value, read: F) -> Result<()>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Vec<(String, String)>>,
{
    let app = app().await;
    let harness = Harness::start(INTEGRATION).await?;
    harness.activate("acme", json!({ "reports": reports, "app_url": format!("{}/", app.uri()) })).await?;
    let night = "2026-12-01T01:00:00Z".parse()?;
    let run = harness.run(harness.tick::<nightly_sales>("acme", night).await?).await?;
    assert_eq!((run.status.as_str(), run.attempts.len()), ("succeeded", 2), "{run:?}");
    assert_eq!(run.output, Some(json!({ "path": "sales/sales-2026-11-30.csv", "records": 3 })));
    assert_eq!(read().await, [("sales-2026-11-30.csv".to_owned(), REPORT.to_owned())]);

    let later = harness.run(harness.tick::<nightly_sales>("acme", "2026-12-01T01:30:00Z".parse()?).await?).await?;
    assert_eq!(later.status, "succeeded", "{later:?}");
    assert_eq!(read().await, [("sales-2026-11-30.csv".to_owned(), REPORT.to_owned())]);
    harness.stop().await;
    Ok(())
}

#[tokio::test]
async fn the_report_is_written_whole_to_a_local_folder() -> Result<()> {
    let folder = tempfile::tempdir()?;
    let sales = folder.path().join("sales");
    nightly_report_is_written_whole_once(json!(folder.path()), || async {
        let mut files: Vec<(String, String)> = std::fs::read_dir(&sales)
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                (entry.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(entry.path()).unwrap())
            })
            .collect();
        files.sort();
        files
    })
    .await
}

#[cfg(feature = "s3")]
#[tokio::test]
async fn the_report_is_written_whole_to_an_s3_bucket() -> Result<()> {
    use futures::TryStreamExt;
    use object_store::{ObjectStore, ObjectStoreExt};
    let Ok(endpoint) = std::env::var("AQUEDUCT_S3_URL") else {
        let required = std::env::var("AQUEDUCT_REQUIRE_SERVICES").is_ok_and(|value| value == "1");
        assert!(
            !required,
            "no S3-compatible server (AQUEDUCT_S3_URL; .ci/services/s3.sh starts one), and AQUEDUCT_REQUIRE_SERVICES=1"
        );
        eprintln!("skipped: no S3-compatible server (run `eval \"$(.ci/services/s3.sh)\"`)");
        return Ok(());
    };
    let bucket = format!("nightly-{}", std::process::id());
    // moto takes an unsigned request to create a bucket.
    reqwest::Client::new().put(format!("{endpoint}/{bucket}")).send().await?.check_status()?;
    let store = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(&endpoint)
        .with_allow_http(true)
        .with_bucket_name(&bucket)
        .with_region("us-east-1")
        .with_access_key_id("test")
        .with_secret_access_key("test")
        .build()?;
    let reports = json!({
        "url": format!("s3://{bucket}/acme"),
        "endpoint": endpoint,
        "region": "us-east-1",
        "access_key_id": "test",
        "secret_access_key": "test",
    });
    nightly_report_is_written_whole_once(reports, || async {
        let listed: Vec<object_store::ObjectMeta> = store.list(Some(&"acme/sales".into())).try_collect().await.unwrap();
        let mut files = Vec::new();
        for meta in listed {
            let contents = store.get(&meta.location).await.unwrap().bytes().await.unwrap();
            let name = meta.location.filename().unwrap().to_owned();
            files.push((name, String::from_utf8(contents.to_vec()).unwrap()));
        }
        files
    })
    .await
}

#[cfg(feature = "sftp")]
#[tokio::test]
async fn the_report_is_written_whole_to_an_sftp_server() -> Result<()> {
    let env = |name: &str| std::env::var(name).ok();
    let (Some(addr), Some(root), Some(host_key)) =
        (env("AQUEDUCT_SFTP_ADDR"), env("AQUEDUCT_SFTP_ROOT"), env("AQUEDUCT_SFTP_HOST_KEY"))
    else {
        let required = env("AQUEDUCT_REQUIRE_SERVICES").is_some_and(|value| value == "1");
        assert!(
            !required,
            "no SFTP server (AQUEDUCT_SFTP_*; .ci/services/sftp.sh starts one), and AQUEDUCT_REQUIRE_SERVICES=1"
        );
        eprintln!("skipped: no SFTP server (run `eval \"$(.ci/services/sftp.sh)\"`)");
        return Ok(());
    };
    let folder = format!("upload/reports-{}", std::process::id());
    let sales = std::path::Path::new(&root).join(&folder).join("sales");
    let reports = json!({
        "url": format!("sftp://aqueduct@{addr}/{folder}"),
        "host_key": std::fs::read_to_string(host_key)?,
        "password": env("AQUEDUCT_SFTP_PASSWORD").unwrap_or_else(|| "aqueduct-test".into()),
    });
    // Hidden temporary files included: none may be left behind.
    let result = nightly_report_is_written_whole_once(reports, || async {
        let mut files: Vec<(String, String)> = std::fs::read_dir(&sales)
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                (entry.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(entry.path()).unwrap())
            })
            .collect();
        files.sort();
        files
    })
    .await;
    if std::env::var("KEEP").is_err() {
        let _ = std::fs::remove_dir_all(sales.parent().unwrap());
    }
    result
}
