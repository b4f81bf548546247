//! File import killed mid-way: each file is processed once, across SIGKILLs, from a local
//! folder, from the SFTP server and from the S3-compatible server `.ci/run` starts
//! (`AQUEDUCT_SFTP_*`, `AQUEDUCT_S3_*`).

use crate::support::{Binary, eventually};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

const FILES: usize = 60;
const ROWS: usize = 4;
const KILLS: usize = 2;

/// What the app received: each order's idempotency keys, one per time it was sent.
type Received = Arc<Mutex<HashMap<String, Vec<String>>>>;

/// An app that takes a few milliseconds per order, so that an import takes long enough to
/// be killed in the middle.
async fn slow_app() -> (String, Received) {
    let received: Received = Arc::default();
    let kept = received.clone();
    let router = axum::Router::new().route(
        "/orders/{id}",
        axum::routing::put(
            move |axum::extract::Path(id): axum::extract::Path<String>, headers: axum::http::HeaderMap| {
                let kept = kept.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(15)).await;
                    let key = headers.get("idempotency-key").and_then(|key| key.to_str().ok()).unwrap_or("").to_owned();
                    kept.lock().unwrap().entry(id).or_default().push(key);
                    axum::http::StatusCode::NO_CONTENT
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, received)
}

/// Where the test puts the files and counts them: a folder on this machine's disk (the local
/// folder, or the SFTP server's), or a bucket.
enum Place {
    Disk(PathBuf),
    #[cfg(feature = "s3")]
    Bucket(std::sync::Arc<dyn object_store::ObjectStore>),
}

fn csv(file: usize) -> String {
    let rows: String = (0..ROWS).map(|row| format!("F{file:03}-{row},W,1,100\n")).collect();
    format!("order_id,sku,quantity,total_cents\n{rows}")
}

impl Place {
    /// Drops the files; on disk owned as the folder above is (the SFTP user must be able to
    /// move them), in a bucket aged past the import's settling time.
    async fn drop_files(&self) {
        match self {
            Place::Disk(disk) => {
                use std::os::unix::fs::MetadataExt;
                let outgoing = disk.join("outgoing");
                std::fs::create_dir_all(&outgoing).unwrap();
                let owner = std::fs::metadata(disk.parent().unwrap()).unwrap();
                let own = |path: &Path| std::os::unix::fs::chown(path, Some(owner.uid()), Some(owner.gid())).unwrap();
                for file in 0..FILES {
                    let path = outgoing.join(format!("orders-{file:03}.csv"));
                    std::fs::write(&path, csv(file)).unwrap();
                    let old = SystemTime::now() - Duration::from_secs(60);
                    std::fs::File::options().write(true).open(&path).unwrap().set_modified(old).unwrap();
                    own(&path);
                }
                own(&outgoing);
                own(disk);
            }
            #[cfg(feature = "s3")]
            Place::Bucket(store) => {
                use object_store::ObjectStoreExt;
                for file in 0..FILES {
                    let path = format!("erp/outgoing/orders-{file:03}.csv");
                    store.put(&path.into(), csv(file).into()).await.unwrap();
                }
                tokio::time::sleep(Duration::from_millis(1100)).await;
            }
        }
    }

    /// How many files are under `folder`.
    async fn count(&self, folder: &str) -> usize {
        match self {
            Place::Disk(disk) => std::fs::read_dir(disk.join(folder)).map_or(0, |entries| entries.count()),
            #[cfg(feature = "s3")]
            Place::Bucket(store) => {
                use futures::TryStreamExt;
                let listed: Vec<_> = store.list(Some(&format!("erp/{folder}").into())).try_collect().await.unwrap();
                listed.len()
            }
        }
    }

    /// Waits up to `timeout` for `count` files under `folder`.
    async fn wait_for(&self, folder: &str, count: usize, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.count(folder).await != count {
            assert!(tokio::time::Instant::now() < deadline, "{count} files were not in {folder}/ within {timeout:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Serves the import (a run each second), kills the server twice while a run is in the middle
/// of the files, and serves until every file is moved to `processed/`.
async fn killed_mid_import_each_file_is_processed_once(drop: serde_json::Value, place: Place) {
    let (app_url, received) = slow_app().await;
    place.drop_files().await;
    let binary = Binary::example("sftp_import");
    let config = serde_json::json!({ "schedule": "* * * * * *", "app_url": app_url, "drop": drop });
    let config = toml::to_string(&config).unwrap();
    let activated = binary.activate("acme", &config, "http://127.0.0.1:9");
    assert!(activated.status.success(), "{}", String::from_utf8_lossy(&activated.stderr));

    for kill in 1..=KILLS {
        let mut server = tokio::task::block_in_place(|| binary.serve(&["serve"]));
        let sent_before = received.lock().unwrap().len();
        let target = sent_before + ROWS * FILES / (KILLS + 2);
        eventually(Duration::from_secs(90), "the import to get some way", || {
            (received.lock().unwrap().len() >= target).then_some(())
        });
        tokio::task::block_in_place(|| server.kill());
        let processed = place.count("processed").await;
        assert!(processed < FILES, "kill {kill} came after the import had finished");
    }
    // The restarted server takes the killed run back at once (it holds the store alone), and
    // the run goes on with the files left.
    let mut server = tokio::task::block_in_place(|| binary.serve(&["serve"]));
    place.wait_for("processed", FILES, Duration::from_secs(120)).await;
    tokio::task::block_in_place(|| server.terminate());

    assert_eq!(place.count("outgoing").await, 0);
    assert_eq!(place.count("failed").await, 0);
    let received = received.lock().unwrap();
    assert_eq!(received.len(), FILES * ROWS, "every order arrived");
    // A file in the middle when the server was killed is imported again, with the same key;
    // no other file is.
    let repeated: HashSet<String> =
        received.iter().filter(|(_, keys)| keys.len() > 1).map(|(order, _)| order[..4].to_owned()).collect();
    assert!(repeated.len() <= KILLS, "files imported twice: {repeated:?}");
    assert!(received.values().all(|keys| keys.iter().all(|key| key == &keys[0])), "a repeat with another key");
    let done: i64 = binary.database().query_row("SELECT count(*) FROM files_done", [], |row| row.get(0)).unwrap();
    assert_eq!(done, FILES as i64);
    // The run that finished the import said how far it got.
    let runs = binary.runs();
    // A tick with nothing left to import succeeds too: the finisher is the one that processed.
    let finisher = runs
        .iter()
        .map(|run| binary.run_detail(run["id"].as_u64().unwrap()))
        .find(|run| {
            run["status"] == "succeeded" && run["output"]["processed"].as_array().is_some_and(|files| !files.is_empty())
        })
        .expect("a run that succeeded with files processed");
    let progress = finisher["progress"].as_str().unwrap_or("");
    assert!(progress.contains(" files: outgoing/orders-"), "{finisher}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_import_from_a_local_folder_each_file_is_processed_once() {
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("drop");
    killed_mid_import_each_file_is_processed_once(serde_json::json!(disk), Place::Disk(disk)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_import_from_an_sftp_server_each_file_is_processed_once() {
    let Some(sftp) = crate::services::sftp() else { return };
    let (drop, disk) = sftp.folder("killed");
    killed_mid_import_each_file_is_processed_once(drop, Place::Disk(disk.clone())).await;
    let _ = std::fs::remove_dir_all(&disk);
}

#[cfg(feature = "s3")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_import_from_an_s3_bucket_each_file_is_processed_once() {
    let Some(s3) = crate::services::s3() else { return };
    let (store, drop) = s3.bucket("killed", "erp").await;
    killed_mid_import_each_file_is_processed_once(drop, Place::Bucket(std::sync::Arc::new(store))).await;
}
