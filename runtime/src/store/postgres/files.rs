//! Which files each import has processed.

use crate::store::codec::now;
use crate::store::{FileDone, FileVersion};
use sqlx::PgConnection;

pub(super) async fn done(
    connection: &mut PgConnection,
    flow: &str,
    instance: &str,
    files: &[FileVersion],
) -> sqlx::Result<Vec<FileVersion>> {
    let mut done = Vec::new();
    for file in files {
        let found =
            sqlx::query("SELECT 1 FROM files_done WHERE flow = $1 AND instance = $2 AND file = $3 AND version = $4")
                .bind(flow)
                .bind(instance)
                .bind(&file.file)
                .bind(&file.version)
                .fetch_optional(&mut *connection)
                .await?;
        if found.is_some() {
            done.push(file.clone());
        }
    }
    Ok(done)
}

pub(super) async fn record(connection: &mut PgConnection, done: &FileDone) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO files_done (flow, instance, file, version, run_id, done_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (flow, instance, file, version) DO UPDATE SET run_id = $5, done_at = $6",
    )
    .bind(&done.flow)
    .bind(&done.instance)
    .bind(&done.file.file)
    .bind(&done.file.version)
    .bind(done.run.0)
    .bind(now())
    .execute(&mut *connection)
    .await?;
    sqlx::query("UPDATE runs SET progress = $2 WHERE id = $1")
        .bind(done.run.0)
        .bind(&done.progress)
        .execute(connection)
        .await
        .map(drop)
}
