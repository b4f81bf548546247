//! File import and export benchmark (`cargo bench --bench files`).
//!
//! - Export: 1,000,000 CSV rows (`BENCH_ROWS`) written with `files::export` to a local folder,
//!   and to the S3-compatible server when `AQUEDUCT_S3_URL` is set; rows/s, and the process's
//!   resident memory after a tenth of the rows and after all of them (flat: nothing kept per
//!   row). Baseline: the same rows formatted by hand into a `std::io::BufWriter` on a file.
//! - Import: 10,000 small files (`BENCH_FILES`) imported by a schedule flow from a local folder,
//!   and from the SFTP server when `AQUEDUCT_SFTP_ADDR` is set; files/s from the run's start
//!   to its end. Baseline: a bare loop that lists the folder, reads each file and renames it.

use aqueduct::files::{self, Folder, Imported};
use aqueduct::prelude::*;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Deserialize)]
struct Settings {
    drop: Folder,
}

#[derive(Serialize)]
struct Row {
    id: u64,
    sku: String,
    quantity: u32,
    total_cents: u64,
}

fn row(id: u64) -> Row {
    Row { id, sku: format!("SKU-{:05}", id % 10_000), quantity: (id % 7) as u32, total_cents: id * 3 % 100_000 }
}

/// When the import run started and ended.
static IMPORT: Mutex<Option<(Instant, Instant, usize)>> = Mutex::new(None);

#[flow(schedule = "* * * * * *", timeout = "10m")]
async fn import_all(ctx: Ctx<Settings>) -> Result<Imported> {
    let started = Instant::now();
    let imported = files::import(&ctx, &ctx.config().drop, "outgoing/*.csv")
        .settle(Duration::ZERO)
        .each(|file| async move {
            file.bytes().await?;
            Ok(())
        })
        .await?;
    if !imported.processed.is_empty() {
        *IMPORT.lock().unwrap() = Some((started, Instant::now(), imported.processed.len()));
    }
    Ok(imported)
}

mod app {
    aqueduct::integration! { name: "files-bench", config: super::Settings, flows: [super::import_all] }
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

/// The process's resident memory now, in MiB.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches(" kB").trim().parse::<f64>().ok());
    kib.unwrap_or(0.0) / 1024.0
}

async fn export(folder: &Folder, rows: u64) -> Result<(f64, f64, f64)> {
    let started = Instant::now();
    let mut writer = files::export(folder, "bench/rows.csv").csv::<Row>().await?;
    let mut at_tenth = 0.0;
    for id in 0..rows {
        writer.write(&row(id)).await?;
        if id == rows / 10 {
            at_tenth = rss_mib();
        }
    }
    writer.finish().await?;
    Ok((rows as f64 / started.elapsed().as_secs_f64(), at_tenth, rss_mib()))
}

fn bare_export(dir: &Path, rows: u64) -> f64 {
    let started = Instant::now();
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("bare.csv")).unwrap());
    writeln!(out, "id,sku,quantity,total_cents").unwrap();
    for id in 0..rows {
        let row = row(id);
        writeln!(out, "{},{},{},{}", row.id, row.sku, row.quantity, row.total_cents).unwrap();
    }
    out.flush().unwrap();
    rows as f64 / started.elapsed().as_secs_f64()
}

/// Drops `count` small files in `disk/outgoing`, owned as `disk`'s parent is.
fn drop_files(disk: &Path, count: u64) {
    use std::os::unix::fs::MetadataExt;
    let outgoing = disk.join("outgoing");
    std::fs::create_dir_all(&outgoing).unwrap();
    let owner = std::fs::metadata(disk.parent().unwrap()).unwrap();
    let own = |path: &Path| std::os::unix::fs::chown(path, Some(owner.uid()), Some(owner.gid())).unwrap();
    for n in 0..count {
        let path = outgoing.join(format!("f{n:05}.csv"));
        std::fs::write(&path, format!("id,sku\n{n},SKU-{n}\n")).unwrap();
        own(&path);
    }
    own(&outgoing);
    own(disk);
}

fn bare_import(disk: &Path) -> f64 {
    let started = Instant::now();
    std::fs::create_dir_all(disk.join("done")).unwrap();
    let mut count = 0;
    for entry in std::fs::read_dir(disk.join("outgoing")).unwrap() {
        let path = entry.unwrap().path();
        std::hint::black_box(std::fs::read(&path).unwrap());
        std::fs::rename(&path, disk.join("done").join(path.file_name().unwrap())).unwrap();
        count += 1;
    }
    count as f64 / started.elapsed().as_secs_f64()
}

async fn import(drop: serde_json::Value, disk: &Path, count: u64) -> Result<f64> {
    *IMPORT.lock().unwrap() = None;
    drop_files(disk, count);
    let dir = tempfile::tempdir()?;
    let options = aqueduct::ServerOptions {
        store: format!("sqlite:{}", dir.path().join("files.db").display()),
        listen: "127.0.0.1:0".parse()?,
        ..Default::default()
    };
    let server = aqueduct::Server::start(app::INTEGRATION, options).await?;
    server.activate("acme", serde_json::json!({ "drop": drop })).await?;
    let deadline = Instant::now() + Duration::from_secs(600);
    let measured = loop {
        if let Some(measured) = *IMPORT.lock().unwrap() {
            break measured;
        }
        assert!(Instant::now() < deadline, "the import did not finish within 10 minutes");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    server.stop().await;
    let (started, ended, processed) = measured;
    assert_eq!(processed as u64, count, "every file imported in one run");
    Ok(count as f64 / ended.duration_since(started).as_secs_f64())
}

fn main() -> Result<()> {
    aqueduct::__private::init_tracing("warn");
    let rows = setting("BENCH_ROWS", 1_000_000);
    let count = setting("BENCH_FILES", 10_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let dir = tempfile::tempdir()?;
        let bare = bare_export(dir.path(), rows);
        let (local, tenth, all) = export(&Folder::local(dir.path()), rows).await?;
        println!("export of {rows} CSV rows");
        println!("  bare BufWriter          {:>10.0} rows/s", bare);
        println!("  files::export, local    {:>10.0} rows/s  ({:.2}× bare)  RSS {tenth:.1} MiB at {} rows, {all:.1} MiB at {rows}", local, local / bare, rows / 10);
        if let Ok(endpoint) = std::env::var("AQUEDUCT_S3_URL") {
            let bucket = format!("bench-{}", std::process::id());
            reqwest::Client::new().put(format!("{endpoint}/{bucket}")).send().await?.check_status()?;
            let folder: Folder = serde_json::from_value(serde_json::json!({
                "url": format!("s3://{bucket}/reports"), "endpoint": endpoint, "region": "us-east-1",
                "access_key_id": "test", "secret_access_key": "test",
            }))?;
            let (s3, tenth, all) = export(&folder, rows).await?;
            println!("  files::export, S3       {:>10.0} rows/s  ({:.2}× bare)  RSS {tenth:.1} MiB at {} rows, {all:.1} MiB at {rows}", s3, s3 / bare, rows / 10);
        }

        let bare_dir = tempfile::tempdir()?;
        drop_files(&bare_dir.path().join("drop"), count);
        let bare = bare_import(&bare_dir.path().join("drop"));
        let local_dir = tempfile::tempdir()?;
        let disk = local_dir.path().join("drop");
        let local = import(serde_json::json!(disk), &disk, count).await?;
        println!("import of {count} small files, end to end");
        println!("  bare read + rename      {:>10.0} files/s", bare);
        println!("  files::import, local    {:>10.0} files/s  ({:.2}× bare)", local, local / bare);
        if let (Ok(addr), Ok(root), Ok(host_key)) =
            (std::env::var("AQUEDUCT_SFTP_ADDR"), std::env::var("AQUEDUCT_SFTP_ROOT"), std::env::var("AQUEDUCT_SFTP_HOST_KEY"))
        {
            let folder = format!("upload/bench-{}", std::process::id());
            let disk = Path::new(&root).join(&folder);
            let drop = serde_json::json!({
                "url": format!("sftp://aqueduct@{addr}/{folder}"),
                "host_key": std::fs::read_to_string(host_key)?,
                "password": std::env::var("AQUEDUCT_SFTP_PASSWORD").unwrap_or_else(|_| "aqueduct-test".into()),
            });
            let sftp = import(drop, &disk, count).await;
            let _ = std::fs::remove_dir_all(&disk);
            let sftp = sftp?;
            println!("  files::import, SFTP     {:>10.0} files/s  ({:.2}× bare)", sftp, sftp / bare);
        }
        Ok(())
    })
}
