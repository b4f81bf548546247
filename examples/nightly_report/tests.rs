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

/// The files in `folder` on this machine's disk, hidden ones included, with their contents.
fn files_in(folder: &std::path::Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            (entry.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(entry.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn the_report_is_written_whole_to_a_local_folder() -> Result<()> {
    let folder = tempfile::tempdir()?;
    let sales = folder.path().join("sales");
    nightly_report_is_written_whole_once(json!(folder.path()), || async { files_in(&sales) }).await
}

#[cfg(feature = "s3")]
#[tokio::test]
async fn the_report_is_written_whole_to_an_s3_bucket() -> Result<()> {
    use futures::TryStreamExt;
    use object_store::{ObjectStore, ObjectStoreExt};
    let Some(s3) = crate::services::s3() else { return Ok(()) };
    let (store, reports) = s3.bucket("nightly", "acme").await;
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
    let Some(sftp) = crate::services::sftp() else { return Ok(()) };
    let (reports, folder) = sftp.folder("reports");
    let sales = folder.join("sales");
    // Hidden temporary files included: none may be left behind.
    let result = nightly_report_is_written_whole_once(reports, || async { files_in(&sales) }).await;
    let _ = std::fs::remove_dir_all(&folder);
    result
}
