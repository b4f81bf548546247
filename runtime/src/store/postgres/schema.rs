//! The PostgreSQL schema, as numbered migrations tracked in `schema_version`, applied under an
//! advisory lock so that servers starting together migrate once.

use crate::model::{Error, Result};
use sqlx::{Connection, PgConnection};

/// Each entry moves the schema one version up; once released, never edit one, add another.
/// Times are milliseconds since the Unix epoch, as in the SQLite store.
const MIGRATIONS: &[&str] = &[r#"
    CREATE TABLE instances (
        name TEXT PRIMARY KEY,
        config TEXT NOT NULL,
        active BOOLEAN NOT NULL,
        version BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        registration TEXT
    );

    -- The inbox and the run log in one, as in the SQLite store.
    CREATE TABLE runs (
        id BIGSERIAL PRIMARY KEY,
        flow TEXT NOT NULL,
        instance TEXT NOT NULL,
        cause TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL,
        due_at BIGINT NOT NULL,
        lease_until BIGINT,
        finished_at BIGINT,
        delivery_id TEXT,
        output TEXT,
        error TEXT,
        history TEXT NOT NULL DEFAULT '',
        replay_of BIGINT,
        replayed_as BIGINT,
        ordered BOOLEAN NOT NULL DEFAULT FALSE,
        payload_removed_at BIGINT,
        progress TEXT
    );
    CREATE INDEX runs_due ON runs (flow, due_at) WHERE status IN ('queued', 'failed');
    CREATE INDEX runs_ordered ON runs (flow, instance, id) WHERE ordered AND status IN ('queued', 'running', 'failed');
    CREATE INDEX runs_leased ON runs (flow, lease_until) WHERE status = 'running';
    CREATE INDEX runs_lease_ends ON runs (lease_until) WHERE status = 'running';
    CREATE INDEX runs_dead ON runs (id) WHERE status = 'dead' AND replayed_as IS NULL;
    CREATE INDEX runs_ignored ON runs (id) WHERE status = 'ignored' AND replayed_as IS NULL;

    CREATE TABLE payloads (
        run_id BIGINT PRIMARY KEY,
        method TEXT,
        query TEXT,
        headers BYTEA NOT NULL,
        body BYTEA NOT NULL
    );

    -- Delivery ids (and schedule ticks) already turned into a run, until they expire: the
    -- primary key is what makes a delivery id run once across every server.
    CREATE TABLE deliveries (
        scope TEXT NOT NULL,
        instance TEXT NOT NULL,
        key TEXT NOT NULL,
        run_id BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (scope, instance, key)
    );
    CREATE INDEX deliveries_expiry ON deliveries (expires_at);

    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );

    CREATE TABLE steps (
        run_id BIGINT NOT NULL,
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        input_digest TEXT,
        output TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        duration_ms DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (run_id, seq)
    );

    CREATE TABLE state (
        flow TEXT NOT NULL,
        instance TEXT NOT NULL,
        value TEXT NOT NULL,
        version BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (flow, instance)
    );

    CREATE TABLE tokens (
        instance TEXT NOT NULL,
        connection TEXT NOT NULL,
        sealed TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (instance, connection)
    );

    CREATE TABLE schedule_ticks (
        flow TEXT PRIMARY KEY,
        last_tick BIGINT NOT NULL
    );

    CREATE TABLE paused (
        flow TEXT NOT NULL,
        instance TEXT NOT NULL,
        PRIMARY KEY (flow, instance)
    );

    CREATE TABLE files_done (
        flow TEXT NOT NULL,
        instance TEXT NOT NULL,
        file TEXT NOT NULL,
        version TEXT NOT NULL,
        run_id BIGINT NOT NULL,
        done_at BIGINT NOT NULL,
        PRIMARY KEY (flow, instance, file, version)
    );

    CREATE TABLE echoes (
        instance TEXT NOT NULL,
        system TEXT NOT NULL,
        record TEXT NOT NULL,
        digest TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (instance, system, record)
    );
"#];

/// The advisory lock migrations take: any number, the same in every binary.
const MIGRATION_LOCK: i64 = 0x6171_7565_6475_6374; // "aqueduct"

/// Brings the database (its schema on the search path) up to the newest schema.
pub(super) async fn migrate(connection: &mut PgConnection) -> Result<()> {
    migrate_to(connection, MIGRATIONS.len()).await
}

async fn migrate_to(connection: &mut PgConnection, target: usize) -> Result<()> {
    let mut transaction = connection.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MIGRATION_LOCK).execute(&mut *transaction).await?;
    sqlx::raw_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .execute(&mut *transaction)
        .await?;
    let current: Option<i32> =
        sqlx::query_scalar("SELECT version FROM schema_version").fetch_optional(&mut *transaction).await?;
    let current = match current {
        Some(version) => usize::try_from(version).unwrap_or(usize::MAX),
        None => {
            sqlx::query("INSERT INTO schema_version (version) VALUES (0)").execute(&mut *transaction).await?;
            0
        }
    };
    if current > MIGRATIONS.len() {
        return Err(Error::msg(format!(
            "the database is at schema version {current}, newer than this binary knows ({}); use a newer binary",
            MIGRATIONS.len()
        )));
    }
    for (version, migration) in MIGRATIONS.iter().enumerate().take(target).skip(current) {
        sqlx::raw_sql(*migration).execute(&mut *transaction).await?;
        sqlx::query("UPDATE schema_version SET version = $1")
            .bind(version as i32 + 1)
            .execute(&mut *transaction)
            .await?;
    }
    Ok(transaction.commit().await?)
}
