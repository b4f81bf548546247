//! The SQLite schema, as numbered migrations tracked in `PRAGMA user_version`.

use rusqlite::Connection;

/// Each entry moves the schema one version up; once released, never edit one, add another.
const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE instances (
        name TEXT PRIMARY KEY,
        config TEXT NOT NULL,
        active INTEGER NOT NULL,
        version INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;

    -- The inbox and the run log in one: a run is queued, running, failed (waiting to be
    -- retried at due_at), succeeded or dead. Times are milliseconds since the Unix epoch.
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
        delivery_id TEXT,
        query TEXT,
        headers BLOB NOT NULL,
        body BLOB NOT NULL,
        output TEXT,
        error TEXT,
        -- One line of JSON per attempt, with its steps and log lines (appended, never rewritten).
        history TEXT NOT NULL DEFAULT '',
        replay_of INTEGER,
        replayed_as INTEGER,
        -- Whether the flow runs an instance's runs one at a time, in order.
        ordered INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    -- Every index is written at each status change of every run, so there are as few as the
    -- claims need; listing runs by flow or instance scans back from the newest instead.
    CREATE INDEX runs_due ON runs (flow, due_at) WHERE status IN ('queued', 'failed');
    CREATE INDEX runs_ordered ON runs (flow, instance, id) WHERE ordered AND status IN ('queued', 'running', 'failed');
    CREATE INDEX runs_leased ON runs (flow, lease_until) WHERE status = 'running';
    CREATE INDEX runs_dead ON runs (id) WHERE status = 'dead' AND replayed_as IS NULL;

    -- Delivery ids (and schedule ticks) already turned into a run, until they expire.
    CREATE TABLE deliveries (
        flow TEXT NOT NULL,
        instance TEXT NOT NULL,
        key TEXT NOT NULL,
        run_id INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (flow, instance, key)
    ) STRICT, WITHOUT ROWID;
"#,
    r#"
    -- Ignored deliveries not replayed yet, for `replay --ignored`.
    CREATE INDEX runs_ignored ON runs (id) WHERE status = 'ignored' AND replayed_as IS NULL;
"#,
    r#"
    -- The request's method, when it is not POST.
    ALTER TABLE runs ADD COLUMN method TEXT;
    -- A delivery id is the sender's: remembered for what the sender addressed (the endpoint,
    -- the source, the schedule), not for the flow a delivery was routed to.
    ALTER TABLE deliveries RENAME COLUMN flow TO scope;
    -- What a server records for the commands run beside it (its public URL).
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;
"#,
];

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
