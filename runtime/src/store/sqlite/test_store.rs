//! A store in memory with one active instance, `acme`, for the store's tests.

use super::schema::migrate;
use rusqlite::Connection;

pub(super) fn with_acme() -> Connection {
    let mut connection = Connection::open_in_memory().unwrap();
    migrate(&mut connection).unwrap();
    connection
        .execute("INSERT INTO instances (name, config, active, version, updated_at) VALUES ('acme', '{}', 1, 1, 0)", [])
        .unwrap();
    connection
}
