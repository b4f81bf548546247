//! The SQLite schema, as numbered migrations tracked in `PRAGMA user_version`.

use rusqlite::Connection;

/// Each entry moves the schema one version up; never edit one that has shipped, add another.
const MIGRATIONS: &[&str] = &[r#"
    CREATE TABLE instances (
        name TEXT PRIMARY KEY,
        config TEXT NOT NULL,
        active INTEGER NOT NULL,
        version INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        flow TEXT NOT NULL,
        instance TEXT NOT NULL,
        cause TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        due_at INTEGER NOT NULL,
        lease_until INTEGER,
        finished_at INTEGER,
        query TEXT,
        headers BLOB NOT NULL,
        body BLOB NOT NULL,
        output TEXT,
        error TEXT
    ) STRICT;
    CREATE INDEX runs_due ON runs (due_at) WHERE status IN ('queued', 'failed');
    CREATE INDEX runs_leased ON runs (lease_until) WHERE status = 'running';
    CREATE INDEX runs_by_flow ON runs (flow, id);
    CREATE INDEX runs_by_instance ON runs (instance, id);

    CREATE TABLE ticks (
        flow TEXT NOT NULL,
        instance TEXT NOT NULL,
        tick INTEGER NOT NULL,
        run_id INTEGER NOT NULL,
        PRIMARY KEY (flow, instance, tick)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE attempts (
        run_id INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER NOT NULL,
        error TEXT,
        PRIMARY KEY (run_id, attempt)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE steps (
        run_id INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        duration_us INTEGER NOT NULL,
        error TEXT,
        PRIMARY KEY (run_id, attempt, seq)
    ) STRICT, WITHOUT ROWID;
"#];

/// Brings the database up to the newest schema.
pub(super) fn migrate(connection: &mut Connection) -> rusqlite::Result<()> {
    let transaction = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let current: i64 = transaction.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let current = usize::try_from(current).unwrap_or(usize::MAX);
    if current > MIGRATIONS.len() {
        let newer = rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR);
        return Err(rusqlite::Error::SqliteFailure(
            newer,
            Some(format!(
                "the database is at schema version {current}, newer than this binary knows ({}); use a newer binary",
                MIGRATIONS.len()
            )),
        ));
    }
    for (version, migration) in MIGRATIONS.iter().enumerate().skip(current) {
        transaction.execute_batch(migration)?;
        transaction.pragma_update(None, "user_version", version as i64 + 1)?;
    }
    transaction.commit()
}
