//! One behaviour suite, every store: each test is written once against [`Store`] and runs on
//! SQLite and, with the `postgres` feature, on PostgreSQL, as `NAME::sqlite` and
//! `NAME::postgres`. A test names the behaviour, not the store.
//!
//! PostgreSQL tests use the server at `AQUEDUCT_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1/test`), each in a schema of its own, dropped after. When it
//! cannot be reached they say why and pass, unless `AQUEDUCT_REQUIRE_SERVICES=1`.

mod admin;
mod inbox;
mod nodes;
mod records;
mod schema;
mod test_store;

/// Writes each `async fn NAME(store: TestStore)` as a module `NAME` of one test per store.
macro_rules! on_every_store {
    ($($(#[$meta:meta])* async fn $name:ident($store:ident: TestStore) $body:block)*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn behaviour($store: $crate::store::behaviour::test_store::TestStore) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                behaviour($crate::store::behaviour::test_store::TestStore::sqlite().await).await;
            }

            #[cfg(feature = "postgres")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(store) = $crate::store::behaviour::test_store::TestStore::postgres().await {
                    behaviour(store).await;
                }
            }
        }
    )*};
}
pub(super) use on_every_store;
