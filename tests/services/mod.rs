//! The S3-compatible and SFTP servers `.ci/services/` start, as tests find them: from
//! `AQUEDUCT_S3_URL` and `AQUEDUCT_SFTP_*`. Without one, a test says so and skips, unless
//! `AQUEDUCT_REQUIRE_SERVICES=1` (as in CI), where it fails. Included by path where used.

// Each test binary that includes this uses part of it.
#![allow(dead_code)]

use serde_json::json;
use std::path::PathBuf;

/// `None` for a server that is not there; a failure where every service is required.
fn missing<T>(server: &str, variables: &str, script: &str) -> Option<T> {
    let required = std::env::var("AQUEDUCT_REQUIRE_SERVICES").is_ok_and(|value| value == "1");
    assert!(!required, "no {server} ({variables}; .ci/services/{script} starts one), and AQUEDUCT_REQUIRE_SERVICES=1");
    eprintln!("skipped: no {server} (run `eval \"$(.ci/services/{script})\"`)");
    None
}

/// The SFTP server: a chrooted user whose chroot is `root` on this machine's disk.
pub struct SftpServer {
    addr: String,
    root: PathBuf,
    user: String,
    password: String,
    host_key: String,
}

pub fn sftp() -> Option<SftpServer> {
    let env = |name: &str| std::env::var(name).ok();
    let (Some(addr), Some(root), Some(host_key)) =
        (env("AQUEDUCT_SFTP_ADDR"), env("AQUEDUCT_SFTP_ROOT"), env("AQUEDUCT_SFTP_HOST_KEY"))
    else {
        return missing("SFTP server", "AQUEDUCT_SFTP_*", "sftp.sh");
    };
    Some(SftpServer {
        addr,
        root: root.into(),
        user: env("AQUEDUCT_SFTP_USER").unwrap_or_else(|| "aqueduct".into()),
        password: env("AQUEDUCT_SFTP_PASSWORD").unwrap_or_else(|| "aqueduct-test".into()),
        host_key: std::fs::read_to_string(host_key).expect("the SFTP server's host key"),
    })
}

impl SftpServer {
    /// A folder of its own, `upload/NAME-PID`, emptied: its configuration as a `Folder`, and
    /// where it is on this machine's disk.
    pub fn folder(&self, name: &str) -> (serde_json::Value, PathBuf) {
        let folder = format!("upload/{name}-{}", std::process::id());
        let disk = self.root.join(&folder);
        let _ = std::fs::remove_dir_all(&disk);
        let config = json!({
            "url": format!("sftp://{}@{}/{folder}", self.user, self.addr),
            "host_key": self.host_key.trim(),
            "password": self.password,
        });
        (config, disk)
    }
}

/// The S3-compatible server (moto, which takes any keys).
#[cfg(feature = "s3")]
pub struct S3Server {
    endpoint: String,
}

#[cfg(feature = "s3")]
pub fn s3() -> Option<S3Server> {
    match std::env::var("AQUEDUCT_S3_URL") {
        Ok(endpoint) => Some(S3Server { endpoint }),
        Err(_) => missing("S3-compatible server", "AQUEDUCT_S3_URL", "s3.sh"),
    }
}

#[cfg(feature = "s3")]
impl S3Server {
    /// A bucket of its own, `NAME-PID`, created: a client for it, and the configuration of
    /// the `Folder` at `prefix` in it.
    pub async fn bucket(&self, name: &str, prefix: &str) -> (object_store::aws::AmazonS3, serde_json::Value) {
        let bucket = format!("{name}-{}", std::process::id());
        // moto takes an unsigned request to create a bucket.
        let created = reqwest::Client::new().put(format!("{}/{bucket}", self.endpoint)).send().await.unwrap();
        assert!(created.status().is_success(), "creating the bucket: {}", created.status());
        let store = object_store::aws::AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_bucket_name(&bucket)
            .with_region("us-east-1")
            .with_access_key_id("test")
            .with_secret_access_key("test")
            .build()
            .unwrap();
        let config = json!({
            "url": format!("s3://{bucket}/{prefix}"),
            "endpoint": self.endpoint,
            "region": "us-east-1",
            "access_key_id": "test",
            "secret_access_key": "test",
        });
        (store, config)
    }
}
