//! The shared store behaviour suite against SQLite, each test on its own temporary file.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use cxmap_store_sqlite::SqliteStore;

async fn fresh() -> SqliteStore {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.keep().join("test.db");
    let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store
}

cxmap_store::store_suite!(fresh());

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let store = fresh().await;
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99999, 'future', true, x'00', 0)")
        .execute(store.pool())
        .await
        .unwrap();
    let err = store.migrate().await.unwrap_err();
    assert!(err.to_string().contains("upgrade cxmap"), "{err}");
}
