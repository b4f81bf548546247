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
    r#"
    -- The request as received, written once when its run is admitted and never rewritten:
    -- a finished attempt then rewrites only the run's small row, not its payload. Pruned on
    -- its own when a flow keeps payloads for less time than its runs (`keep_payload`).
    CREATE TABLE payloads (
        run_id INTEGER PRIMARY KEY,
        method TEXT,
        query TEXT,
        headers BLOB NOT NULL,
        body BLOB NOT NULL
    ) STRICT;
    INSERT INTO payloads (run_id, method, query, headers, body) SELECT id, method, query, headers, body FROM runs;
    ALTER TABLE runs DROP COLUMN method;
    ALTER TABLE runs DROP COLUMN query;
    ALTER TABLE runs DROP COLUMN headers;
    ALTER TABLE runs DROP COLUMN body;
    -- When the payload was removed, its run kept (a flow's `keep_payload` is shorter than its `keep`).
    ALTER TABLE runs ADD COLUMN payload_removed_at INTEGER;
"#,
    r#"
    -- The steps (action calls) of a run that succeeded, each written as it completes: a later
    -- attempt, or a replay, gets the recorded output back instead of calling the API again.
    -- Steps are matched by their order (seq, from 0) and name. Pruned with the run's payload.
    CREATE TABLE steps (
        run_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        -- SHA-256 of the action's arguments that serialize, hex; NULL when none does.
        input_digest TEXT,
        -- The action's `Ok` value as JSON.
        output TEXT NOT NULL,
        -- The attempt of the run that made the call.
        attempt INTEGER NOT NULL,
        duration_ms REAL NOT NULL,
        PRIMARY KEY (run_id, seq)
    ) STRICT, WITHOUT ROWID;

    -- What an instance's on_activate returned (JSON): what it registered, for on_deactivate.
    ALTER TABLE instances ADD COLUMN registration TEXT;

    -- Each flow's state per instance (`ctx.state()`), committed with a run's success when
    -- its version is still the one the run read.
    CREATE TABLE state (
        flow TEXT NOT NULL,
        instance TEXT NOT NULL,
        value TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (flow, instance)
    ) STRICT, WITHOUT ROWID;
"#,
    r#"
    -- OAuth2 tokens each instance's connections were last given, sealed like configurations,
    -- so that a restart neither authorises again nor uses a rotated refresh token. `connection`
    -- is a digest of the connection's settings; an instance's tokens go when it is deactivated.
    CREATE TABLE tokens (
        instance TEXT NOT NULL,
        connection TEXT NOT NULL,
        sealed TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (instance, connection)
    ) STRICT, WITHOUT ROWID;
"#,
    r#"
    -- The last tick each schedule flow's ticker passed (fired, skipped or paused), in
    -- milliseconds: a process that starts again runs the ticks missed since (`catch_up`).
    CREATE TABLE schedule_ticks (
        flow TEXT PRIMARY KEY,
        last_tick INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;

    -- Schedule flows paused (`flows pause`), for one instance or, where `instance` is '', all.
    CREATE TABLE paused (
        flow TEXT NOT NULL,
        instance TEXT NOT NULL,
        PRIMARY KEY (flow, instance)
    ) STRICT, WITHOUT ROWID;
"#,
    r#"
    -- Files an import (`aqueduct::files`) has processed, per flow and instance: a file is one
    -- version (size and modification time) of one path of one folder, so a file of the same
    -- name dropped again is new. Written in the commit that ends the file's step.
    CREATE TABLE files_done (
        flow TEXT NOT NULL,
        instance TEXT NOT NULL,
        file TEXT NOT NULL,
        version TEXT NOT NULL,
        run_id INTEGER NOT NULL,
        done_at INTEGER NOT NULL,
        PRIMARY KEY (flow, instance, file, version)
    ) STRICT, WITHOUT ROWID;

    -- What a running run last said of its progress (`runs show`), e.g. "3 of 10 files".
    ALTER TABLE runs ADD COLUMN progress TEXT;
"#,
    r#"
    -- What a two-way integration last wrote to a system, per instance and record (`ctx.echoes`):
    -- a digest of it, until `expires_at` (ms), so the system's report of it is told an echo.
    CREATE TABLE echoes (
        instance TEXT NOT NULL,
        system TEXT NOT NULL,
        record TEXT NOT NULL,
        digest TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (instance, system, record)
    ) STRICT, WITHOUT ROWID;
"#,
    r#"
    -- Admin API tokens: a name to revoke each by, and the SHA-256 (hex) of its value, which is
    -- never stored. A revoked one is kept, so a store that ever had a token is told from a new one.
    CREATE TABLE admin_tokens (
        name TEXT PRIMARY KEY,
        digest TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
    ) STRICT;
"#,
];

/// Brings the database up to the newest schema.
pub(super) fn migrate(connection: &mut Connection) -> rusqlite::Result<()> {
    migrate_to(connection, MIGRATIONS.len())
}

fn migrate_to(connection: &mut Connection, target: usize) -> rusqlite::Result<()> {
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
    for (version, migration) in MIGRATIONS.iter().enumerate().take(target).skip(current) {
        transaction.execute_batch(migration)?;
        transaction.pragma_update(None, "user_version", version as i64 + 1)?;
    }
    transaction.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_3_store_keeps_its_runs_payloads_when_they_move_to_their_own_table() {
        let mut connection = Connection::open_in_memory().unwrap();
        migrate_to(&mut connection, 3).unwrap();
        connection
            .execute_batch(
                "INSERT INTO runs (flow, instance, cause, status, created_at, due_at, headers, body, query, method)
                 VALUES ('orders', 'acme', 'webhook', 'succeeded', 1, 1, CAST('x-a: 1
' AS BLOB), CAST('{}' AS BLOB), 'a=1', 'PUT')",
            )
            .unwrap();
        migrate(&mut connection).unwrap();
        let moved: (i64, String, String, String) = connection
            .query_row(
                "SELECT run_id, CAST(body AS TEXT), query, method FROM payloads JOIN runs ON runs.id = payloads.run_id",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .unwrap();
        assert_eq!(moved, (1, "{}".into(), "a=1".into(), "PUT".into()));
    }
}
