//! The PostgreSQL schema, as numbered migrations tracked in `schema_version`, applied under an
//! advisory lock so that servers starting together migrate once.

use crate::model::{Error, Result};
use sqlx::{Connection, PgConnection};

/// Each entry moves the schema one version up; once released, never edit one, add another.
/// Times are milliseconds since the Unix epoch, as in the SQLite store.
const MIGRATIONS: &[&str] = &[
    r#"
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
    -- A tick admitted while the instance's last run is unfinished (`overlap = skip`) looks here,
    -- rather than through every run of the flow (with it, one server's runs of a tick on 100
    -- instances started 63 ms after it, not 94, p50).
    CREATE INDEX runs_unfinished ON runs (flow, instance) WHERE status IN ('queued', 'failed', 'running');
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

    -- Admission in one round trip: every check of `inbox.rs::enqueue`, then the writes, in the
    -- statement's own transaction. A delivery id is taken with the run's id before the run is
    -- written: another server taking the same id at once waits for this commit, then finds
    -- it taken. A deactivation waits for the admissions under way, so no run is stored for an
    -- instance that was deactivated a moment before.
    CREATE FUNCTION aqueduct_admit(
        p_flow TEXT, p_instance TEXT, p_cause TEXT, p_status TEXT, p_attempts INTEGER, p_now BIGINT,
        p_lease_until BIGINT, p_finished_at BIGINT, p_error TEXT, p_ordered BOOLEAN,
        p_scope TEXT, p_key TEXT, p_expires_at BIGINT,
        p_replay_of BIGINT, p_replay_again BOOLEAN, p_replay_fresh BOOLEAN, p_skip_if_unfinished BOOLEAN,
        p_with_payload BOOLEAN, p_method TEXT, p_query TEXT, p_headers BYTEA, p_body BYTEA
    ) RETURNS TABLE (admitted TEXT, admitted_run BIGINT) LANGUAGE plpgsql AS $$
    DECLARE
        found_run BIGINT;
    BEGIN
        IF p_key IS NOT NULL THEN
            SELECT d.run_id INTO found_run FROM deliveries AS d
            WHERE d.scope = p_scope AND d.instance = p_instance AND d.key = p_key AND d.expires_at > p_now;
            IF FOUND THEN
                RETURN QUERY SELECT 'duplicate', found_run;
                RETURN;
            END IF;
        END IF;
        IF p_replay_of IS NOT NULL AND NOT p_replay_again THEN
            -- Locked, so that of two replays of one run at once the second sees the first.
            SELECT r.replayed_as INTO found_run FROM runs AS r WHERE r.id = p_replay_of FOR UPDATE;
            IF found_run IS NOT NULL THEN
                RETURN QUERY SELECT 'replayed_already', found_run;
                RETURN;
            END IF;
        END IF;
        IF p_skip_if_unfinished THEN
            SELECT r.id INTO found_run FROM runs AS r
            WHERE r.flow = p_flow AND r.instance = p_instance AND r.status IN ('queued', 'failed', 'running') LIMIT 1;
            IF FOUND THEN
                RETURN QUERY SELECT 'unfinished', found_run;
                RETURN;
            END IF;
        END IF;
        -- Shared with every other admission, exclusive to a deactivation (`instances.rs`). A
        -- row lock would do the same, but shared row locks of many transactions on one row
        -- are written to the row as a multixact, and made ingest ten times slower.
        PERFORM pg_advisory_xact_lock_shared(hashtext('aqueduct instance ' || p_instance));
        PERFORM 1 FROM instances AS i WHERE i.name = p_instance AND i.active;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'inactive', NULL::BIGINT;
            RETURN;
        END IF;
        found_run := nextval(pg_get_serial_sequence('runs', 'id'));
        IF p_key IS NOT NULL THEN
            INSERT INTO deliveries AS d (scope, instance, key, run_id, expires_at)
            VALUES (p_scope, p_instance, p_key, found_run, p_expires_at)
            ON CONFLICT (scope, instance, key) DO UPDATE SET run_id = EXCLUDED.run_id, expires_at = EXCLUDED.expires_at
                WHERE d.expires_at <= p_now;
            IF NOT FOUND THEN
                SELECT d.run_id INTO found_run FROM deliveries AS d
                WHERE d.scope = p_scope AND d.instance = p_instance AND d.key = p_key;
                RETURN QUERY SELECT 'duplicate', found_run;
                RETURN;
            END IF;
        END IF;
        INSERT INTO runs (id, flow, instance, cause, status, attempts, created_at, due_at, lease_until,
                          delivery_id, replay_of, ordered, finished_at, error)
        VALUES (found_run, p_flow, p_instance, p_cause, p_status, p_attempts, p_now, p_now, p_lease_until,
                p_key, p_replay_of, p_ordered, p_finished_at, p_error);
        IF p_with_payload THEN
            INSERT INTO payloads (run_id, method, query, headers, body)
            VALUES (found_run, p_method, p_query, p_headers, p_body);
        END IF;
        IF p_replay_of IS NOT NULL THEN
            UPDATE runs SET replayed_as = found_run WHERE id = p_replay_of;
            IF NOT p_replay_fresh THEN
                INSERT INTO steps (run_id, seq, name, input_digest, output, attempt, duration_ms)
                SELECT found_run, s.seq, s.name, s.input_digest, s.output, 0, s.duration_ms
                FROM steps AS s WHERE s.run_id = p_replay_of;
            END IF;
        END IF;
        RETURN QUERY SELECT 'created', found_run;
    END
    $$;
"#,
    r#"
    -- Admin API tokens: a name to revoke each by, and the SHA-256 (hex) of its value, which is
    -- never stored. A revoked one is kept, so a store that ever had a token is told from a new one.
    CREATE TABLE admin_tokens (
        name TEXT PRIMARY KEY,
        digest TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
    );
"#,
];

/// The advisory lock migrations take: any number, the same in every binary.
const MIGRATION_LOCK: i64 = 0x6171_7565_6475_6374; // "aqueduct"

/// Brings the database (its schema on the search path) up to the newest schema.
pub(super) async fn migrate(connection: &mut PgConnection) -> Result<()> {
    migrate_to(connection, MIGRATIONS.len()).await
}

async fn migrate_to(connection: &mut PgConnection, target: usize) -> Result<()> {
    let mut transaction = connection.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MIGRATION_LOCK).execute(&mut *transaction).await?;
    // Looked up rather than `CREATE TABLE IF NOT EXISTS`, whose notice would be logged at every start.
    let versioned: bool =
        sqlx::query_scalar("SELECT to_regclass('schema_version') IS NOT NULL").fetch_one(&mut *transaction).await?;
    if !versioned {
        sqlx::raw_sql("CREATE TABLE schema_version (version INTEGER NOT NULL)").execute(&mut *transaction).await?;
    }
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
        sqlx::raw_sql(migration).execute(&mut *transaction).await?;
        sqlx::query("UPDATE schema_version SET version = $1")
            .bind(version as i32 + 1)
            .execute(&mut *transaction)
            .await?;
    }
    Ok(transaction.commit().await?)
}
