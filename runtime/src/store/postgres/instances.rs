//! Customer instances, and the public URL they are reached at.

use crate::model::InstanceRecord;
use crate::store::codec::{now, timestamp};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

/// The channel a changed instance's name is sent on, so every server reads it again at once.
pub(super) const INSTANCES_CHANNEL: &str = "aqueduct_instances";

/// Tells every server `name` changed, when the transaction commits.
async fn announce(connection: &mut PgConnection, name: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)").bind(INSTANCES_CHANNEL).bind(name).execute(connection).await.map(drop)
}

const COLUMNS: &str = "name, config, active, version, updated_at, registration";

fn record(row: &PgRow) -> sqlx::Result<InstanceRecord> {
    Ok(InstanceRecord {
        name: row.try_get(0)?,
        config: row.try_get(1)?,
        active: row.try_get(2)?,
        version: row.try_get(3)?,
        updated_at: timestamp(row.try_get(4)?),
        registration: row.try_get(5)?,
    })
}

pub(super) async fn activate(connection: &mut PgConnection, name: &str, config: &str) -> sqlx::Result<InstanceRecord> {
    let row = sqlx::query(&format!(
        "INSERT INTO instances (name, config, active, version, updated_at) VALUES ($1, $2, TRUE, 1, $3)
         ON CONFLICT (name) DO UPDATE SET config = $2, active = TRUE, version = instances.version + 1,
                                          updated_at = $3, registration = NULL
         RETURNING {COLUMNS}"
    ))
    .bind(name)
    .bind(config)
    .bind(now())
    .fetch_one(&mut *connection)
    .await?;
    announce(connection, name).await?;
    record(&row)
}

/// Back to `previous`'s configuration and state, or inactive; the version still goes up, so
/// every cache sees the change.
pub(super) async fn restore(
    connection: &mut PgConnection,
    name: &str,
    previous: Option<&InstanceRecord>,
) -> sqlx::Result<InstanceRecord> {
    let (config, active, registration) = match previous {
        Some(previous) => (Some(previous.config.as_str()), previous.active, previous.registration.as_deref()),
        None => (None, false, None),
    };
    if !active {
        hold_off_admissions(&mut *connection, name).await?;
    }
    let row = sqlx::query(&format!(
        "UPDATE instances SET config = coalesce($2, config), active = $3, registration = $5,
                              version = version + 1, updated_at = $4
         WHERE name = $1 RETURNING {COLUMNS}"
    ))
    .bind(name)
    .bind(config)
    .bind(active)
    .bind(now())
    .bind(registration)
    .fetch_one(&mut *connection)
    .await?;
    announce(connection, name).await?;
    record(&row)
}

/// Waits for the admissions of `name` under way and holds off new ones until the transaction
/// ends (see `aqueduct_admit` in `schema.rs`).
async fn hold_off_admissions(connection: &mut PgConnection, name: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('aqueduct instance ' || $1))")
        .bind(name)
        .execute(connection)
        .await
        .map(drop)
}

pub(super) async fn deactivate(connection: &mut PgConnection, name: &str) -> sqlx::Result<Option<InstanceRecord>> {
    hold_off_admissions(&mut *connection, name).await?;
    let row = sqlx::query(&format!(
        "UPDATE instances SET active = FALSE, registration = NULL, version = version + 1, updated_at = $2
         WHERE name = $1 RETURNING {COLUMNS}"
    ))
    .bind(name)
    .bind(now())
    .fetch_optional(&mut *connection)
    .await?;
    announce(connection, name).await?;
    row.as_ref().map(record).transpose()
}

/// Each configuration replaced if its instance is still at the version read.
pub(super) async fn replace_configs(
    connection: &mut PgConnection,
    changes: &[(String, i64, String)],
) -> sqlx::Result<usize> {
    let mut replaced = 0;
    for (name, version, config) in changes {
        let updated = sqlx::query(
            "UPDATE instances SET config = $3, version = version + 1, updated_at = $4 WHERE name = $1 AND version = $2",
        )
        .bind(name)
        .bind(version)
        .bind(config)
        .bind(now())
        .execute(&mut *connection)
        .await?
        .rows_affected();
        if updated > 0 {
            announce(&mut *connection, name).await?;
            replaced += 1;
        }
    }
    Ok(replaced)
}

/// Records what the instance's `on_activate` registered; the version is left alone.
pub(super) async fn record_registration(
    connection: &mut PgConnection,
    name: &str,
    registration: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE instances SET registration = $2 WHERE name = $1")
        .bind(name)
        .bind(registration)
        .execute(&mut *connection)
        .await?;
    announce(connection, name).await
}

pub(super) async fn get(connection: &mut PgConnection, name: &str) -> sqlx::Result<Option<InstanceRecord>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM instances WHERE name = $1"))
        .bind(name)
        .fetch_optional(connection)
        .await?
        .as_ref()
        .map(record)
        .transpose()
}

pub(super) async fn all(connection: &mut PgConnection) -> sqlx::Result<Vec<InstanceRecord>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM instances ORDER BY name"))
        .fetch_all(connection)
        .await?
        .iter()
        .map(record)
        .collect()
}

pub(super) async fn record_public_url(connection: &mut PgConnection, url: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ('public_url', $1) ON CONFLICT (key) DO UPDATE SET value = $1",
    )
    .bind(url)
    .execute(connection)
    .await
    .map(drop)
}

pub(super) async fn public_url(connection: &mut PgConnection) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT value FROM settings WHERE key = 'public_url'").fetch_optional(connection).await
}
