//! The integration tested with `aqueduct::testing`: your app stood in by wiremock, the drop
//! folder a local one, and the real SFTP server `.ci/run` starts (`AQUEDUCT_SFTP_*`).

use super::*;
use aqueduct::testing::Harness;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HEADER: &str = "order_id,sku,quantity,total_cents\n";

/// A drop folder: its configuration, and where its files are on this machine's disk.
struct DropFolder {
    config: serde_json::Value,
    disk: PathBuf,
    _local: Option<tempfile::TempDir>,
}

fn local_drop() -> DropFolder {
    let dir = tempfile::tempdir().unwrap();
    DropFolder { config: json!(dir.path()), disk: dir.path().to_owned(), _local: Some(dir) }
}

/// A folder of its own on the SFTP server `.ci/run` starts; `None` (the test skips) when
/// there is none, unless AQUEDUCT_REQUIRE_SERVICES=1.
#[cfg(feature = "sftp")]
fn sftp_drop(test: &str) -> Option<DropFolder> {
    let (config, disk) = crate::services::sftp()?.folder(test);
    std::fs::create_dir_all(disk.join("outgoing")).unwrap();
    Some(DropFolder { config, disk, _local: None })
}

impl DropFolder {
    /// Puts a file in `outgoing/`, last modified `age` ago, owned as the folder is (the SFTP
    /// user must be able to move it).
    fn put(&self, name: &str, contents: &str, age: Duration) -> PathBuf {
        let path = self.disk.join("outgoing").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(SystemTime::now() - age).unwrap();
        self.own(&path);
        path
    }

    fn own(&self, path: &Path) {
        use std::os::unix::fs::MetadataExt;
        let owner = std::fs::metadata(self.disk.parent().unwrap()).unwrap();
        for path in [path, path.parent().unwrap(), &self.disk] {
            let _ = std::os::unix::fs::chown(path, Some(owner.uid()), Some(owner.gid()));
        }
    }

    /// Removes a folder on the SFTP server (a local one is a `TempDir`).
    fn remove(&self) {
        if self._local.is_none() {
            let _ = std::fs::remove_dir_all(&self.disk);
        }
    }

    fn names(&self, under: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.disk.join(under))
            .map(|entries| entries.map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }
}

async fn app() -> MockServer {
    let app = MockServer::start().await;
    Mock::given(method("PUT")).respond_with(ResponseTemplate::new(204)).mount(&app).await;
    app
}

async fn imported(app: &MockServer) -> Vec<String> {
    let requests = app.received_requests().await.unwrap();
    requests.iter().map(|request| request.url.path().trim_start_matches("/orders/").to_owned()).collect()
}

async fn harness(drop: &DropFolder, app: &MockServer) -> Result<Harness<Settings>> {
    let harness = Harness::start(INTEGRATION).await?;
    let settings = json!({ "drop": drop.config, "schedule": "0 */5 * * * *", "app_url": format!("{}/", app.uri()) });
    harness.activate("acme", settings).await?;
    Ok(harness)
}

const OLD: Duration = Duration::from_secs(60);

/// Two good files and a bad one: the good ones imported once and moved, the bad one moved to
/// `failed/` with its error naming its line; a second run imports nothing.
async fn files_are_imported_once_and_a_bad_one_fails(drop: DropFolder) -> Result<()> {
    let app = app().await;
    drop.put("a.csv", &format!("{HEADER}A-1,W,1,100\nA-2,W,2,200\n"), OLD + OLD);
    drop.put("b.csv", &format!("{HEADER}B-1,W,1,100\nB-2,W,two,200\n"), OLD);
    drop.put("c.csv", &format!("{HEADER}C-1,W,1,100\n"), OLD);
    drop.put("notes.txt", "not an order file", OLD);
    let harness = harness(&drop, &app).await?;

    let first = harness.run(harness.tick::<import_files>("acme", "2026-12-01T10:00:00Z".parse()?).await?).await?;
    assert_eq!(first.status, "succeeded", "{first:?}");
    let output = first.output.clone().unwrap();
    assert_eq!(output["processed"], json!(["outgoing/a.csv", "outgoing/c.csv"]), "{output}");
    assert_eq!(output["failed"], json!(["outgoing/b.csv"]), "{output}");
    // B-1 was sent before B-2 failed to parse: the file is the unit, not its rows.
    assert_eq!(imported(&app).await, ["A-1", "A-2", "B-1", "C-1"]);
    assert_eq!(drop.names("outgoing"), ["notes.txt"]);
    assert_eq!(drop.names("processed"), ["a.csv", "c.csv"]);
    assert_eq!(drop.names("failed"), ["b.csv", "b.csv.error.txt"]);
    let error = std::fs::read_to_string(drop.disk.join("failed/b.csv.error.txt"))?;
    assert!(error.contains("`outgoing/b.csv` line 3") && error.contains("invalid digit"), "{error}");
    let steps: Vec<&str> = first.attempts[0].steps.iter().map(|step| step.name.as_str()).collect();
    assert_eq!(steps, ["file outgoing/a.csv", "file outgoing/b.csv", "file outgoing/c.csv"]);

    let second = harness.run(harness.tick::<import_files>("acme", "2026-12-01T10:05:00Z".parse()?).await?).await?;
    assert_eq!(second.output.unwrap()["processed"], json!([]));
    assert_eq!(imported(&app).await.len(), 4);
    harness.stop().await;
    drop.remove();
    Ok(())
}

#[tokio::test]
async fn files_in_a_local_folder_are_imported_once_and_a_bad_one_fails() -> Result<()> {
    files_are_imported_once_and_a_bad_one_fails(local_drop()).await
}

#[cfg(feature = "sftp")]
#[tokio::test]
async fn files_on_an_sftp_server_are_imported_once_and_a_bad_one_fails() -> Result<()> {
    let Some(drop) = sftp_drop("once") else { return Ok(()) };
    files_are_imported_once_and_a_bad_one_fails(drop).await
}

/// A file processed whose move failed (or was lost to a crash) is not imported again when it
/// is still there: it is moved.
#[tokio::test]
async fn a_file_processed_but_still_there_is_moved_not_imported_again() -> Result<()> {
    let (drop, app) = (local_drop(), app().await);
    let contents = format!("{HEADER}A-1,W,1,100\n");
    let original = drop.put("a.csv", &contents, OLD);
    let modified = std::fs::metadata(&original)?.modified()?;
    let harness = harness(&drop, &app).await?;
    harness.run(harness.tick::<import_files>("acme", "2026-12-01T10:00:00Z".parse()?).await?).await?;
    assert_eq!(drop.names("processed"), ["a.csv"]);

    // The same version of the file (size and time) back in place, as a crash before the move
    // would have left it.
    std::fs::rename(drop.disk.join("processed/a.csv"), &original)?;
    std::fs::File::options().write(true).open(&original)?.set_modified(modified)?;
    let again = harness.run(harness.tick::<import_files>("acme", "2026-12-01T10:05:00Z".parse()?).await?).await?;
    let output = again.output.unwrap();
    assert_eq!((output["processed"].clone(), output["moved_late"].clone()), (json!([]), json!(["outgoing/a.csv"])));
    assert_eq!(imported(&app).await, ["A-1"]);
    assert_eq!(drop.names("processed"), ["a.csv"]);

    // A new version under the same name is a new file.
    drop.put("a.csv", &format!("{HEADER}A-9,W,1,100\n"), OLD);
    let newer = harness.run(harness.tick::<import_files>("acme", "2026-12-01T10:10:00Z".parse()?).await?).await?;
    assert_eq!(newer.output.unwrap()["processed"], json!(["outgoing/a.csv"]));
    assert_eq!(imported(&app).await, ["A-1", "A-9"]);
    harness.stop().await;
    Ok(())
}

/// A file whose size changes while it is listed is being written: left for the next run.
#[tokio::test]
async fn a_file_being_written_is_left_for_the_next_run() -> Result<()> {
    let (drop, app) = (local_drop(), app().await);
    let growing = drop.put("big.csv", HEADER, Duration::ZERO);
    let writer = tokio::spawn(async move {
        for row in 0..15 {
            let mut file = std::fs::File::options().append(true).open(&growing).unwrap();
            std::io::Write::write_all(&mut file, format!("G-{row},W,1,100\n").as_bytes()).unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let harness = harness(&drop, &app).await?;
    let first = harness.run(harness.tick::<import_files>("acme", "2026-12-01T10:00:00Z".parse()?).await?).await?;
    assert_eq!(first.output.unwrap()["unsettled"], json!(["outgoing/big.csv"]));
    assert!(imported(&app).await.is_empty());
    writer.await.unwrap();

    let second = harness.run(harness.tick::<import_files>("acme", "2026-12-01T10:05:00Z".parse()?).await?).await?;
    assert_eq!(second.output.unwrap()["processed"], json!(["outgoing/big.csv"]));
    assert_eq!(imported(&app).await.len(), 15);
    harness.stop().await;
    Ok(())
}

/// The app failing (503) is not the file's fault: the file stays, and the run's retry imports
/// it; the file before it is not imported again.
#[tokio::test]
async fn a_failing_app_leaves_the_file_for_the_retry() -> Result<()> {
    let drop = local_drop();
    let app = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/orders/B-1"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app)
        .await;
    Mock::given(method("PUT")).respond_with(ResponseTemplate::new(204)).mount(&app).await;
    drop.put("a.csv", &format!("{HEADER}A-1,W,1,100\n"), OLD + OLD);
    drop.put("b.csv", &format!("{HEADER}B-1,W,1,100\n"), OLD);
    let harness = harness(&drop, &app).await?;
    let run = harness.run(harness.tick::<import_files>("acme", "2026-12-01T10:00:00Z".parse()?).await?).await?;
    assert_eq!((run.status.as_str(), run.attempts.len()), ("succeeded", 2), "{run:?}");
    assert!(run.attempts[0].error.as_deref().unwrap_or("").contains("processing `outgoing/b.csv` failed"), "{run:?}");
    assert_eq!(run.output.unwrap()["processed"], json!(["outgoing/b.csv"]));
    assert_eq!(imported(&app).await, ["A-1", "B-1", "B-1"]);
    assert_eq!(drop.names("processed"), ["a.csv", "b.csv"]);
    harness.stop().await;
    Ok(())
}

/// The same import from an S3-compatible bucket: a good file imported and moved, a bad one
/// moved to `failed/` with its error.
#[cfg(feature = "s3")]
#[tokio::test]
async fn files_in_an_s3_bucket_are_imported_once_and_a_bad_one_fails() -> Result<()> {
    use futures::TryStreamExt;
    use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
    let Some(s3) = crate::services::s3() else { return Ok(()) };
    let (store, drop) = s3.bucket("drop", "erp").await;
    let put = async |name: &str, contents: String| {
        store.put(&format!("erp/outgoing/{name}").into(), PutPayload::from(contents)).await
    };
    put("a.csv", format!("{HEADER}A-1,W,1,100\n")).await?;
    put("b.csv", format!("{HEADER}B-1,W,x,100\n")).await?;
    let settled = Duration::from_millis(1100);
    tokio::time::sleep(settled).await;

    let app = app().await;
    let harness = Harness::start(INTEGRATION).await?;
    let settings = json!({ "drop": drop, "schedule": "0 */5 * * * *", "app_url": format!("{}/", app.uri()) });
    harness.activate("acme", settings).await?;
    let run = harness.run(harness.tick::<import_files>("acme", "2026-12-01T10:00:00Z".parse()?).await?).await?;
    let output = run.output.clone().unwrap();
    assert_eq!(
        (output["processed"].clone(), output["failed"].clone()),
        (json!(["outgoing/a.csv"]), json!(["outgoing/b.csv"])),
        "{run:?}"
    );
    assert_eq!(imported(&app).await, ["A-1"]);
    let listed: Vec<object_store::ObjectMeta> = store.list(Some(&"erp".into())).try_collect().await?;
    let mut names: Vec<String> = listed.iter().map(|meta| meta.location.to_string()).collect();
    names.sort();
    assert_eq!(names, ["erp/failed/b.csv", "erp/failed/b.csv.error.txt", "erp/processed/a.csv"]);
    let again = harness.run(harness.tick::<import_files>("acme", "2026-12-01T10:05:00Z".parse()?).await?).await?;
    assert_eq!(again.output.unwrap()["processed"], json!([]));
    harness.stop().await;
    Ok(())
}
