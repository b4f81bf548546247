//! A PostgreSQL database of a benchmark round's own, made with `psql` and dropped after.
//!
//! The server is the one at `AQUEDUCT_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1/postgres`).

use std::process::Command;

pub struct Database {
    admin: String,
    name: String,
}

impl Database {
    /// A new, empty database; `label` keeps apart the databases of one benchmark's rounds.
    pub fn create(label: &str) -> Database {
        let admin = std::env::var("AQUEDUCT_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1/postgres".to_owned());
        let name = format!("aqueduct_bench_{}_{label}", std::process::id());
        psql(&admin, &format!("DROP DATABASE IF EXISTS {name}"));
        psql(&admin, &format!("CREATE DATABASE {name}"));
        Database { admin, name }
    }

    /// The URL a server's `--store` takes.
    pub fn url(&self) -> String {
        let server = self.admin.rsplit_once('/').map_or(self.admin.as_str(), |(server, _)| server);
        format!("{server}/{}", self.name)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        psql(&self.admin, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

/// What `sql` answers, as `psql` prints it unaligned, one row a line.
pub fn psql(url: &str, sql: &str) -> String {
    let output = Command::new("psql").args([url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql]).output();
    let output = output.expect("running psql");
    assert!(output.status.success(), "psql failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8")
}
