//! A store written by a newer binary is refused, naming both schema versions.

#[cfg(feature = "postgres")]
#[tokio::test]
async fn a_postgres_store_at_a_newer_schema_is_refused_naming_both_versions() {
    use sqlx::Connection;
    let Some(store) = super::test_store::TestStore::postgres().await else { return };
    let mut connection = sqlx::PgConnection::connect(store.url()).await.expect("connecting");
    sqlx::query("UPDATE schema_version SET version = 99").execute(&mut connection).await.expect("a newer version");
    let refused = crate::store::open(store.url(), crate::store::Role::Command).await.err().expect("refused");
    let message = format!("{refused:#}");
    assert!(message.contains("schema version 99, newer than this binary knows (2); use a newer binary"), "{message}");
}

#[tokio::test]
async fn a_sqlite_store_at_a_newer_schema_is_refused_naming_both_versions() {
    let store = super::test_store::TestStore::sqlite().await;
    let path = store.url().trim_start_matches("sqlite:").to_owned();
    rusqlite::Connection::open(&path)
        .and_then(|db| db.pragma_update(None, "user_version", 99))
        .expect("a newer version");
    let refused = crate::store::open(store.url(), crate::store::Role::Command).await.err().expect("refused");
    let message = format!("{refused:#}");
    assert!(message.contains("schema version 99, newer than this binary knows"), "{message}");
}
