//! Picks the storage adapter from the database URL's scheme. This is the only place in cxmap
//! that names both backends.

use std::sync::Arc;

use cxmap_store::{SchemaStatus, Store, StoreError};
use cxmap_store_postgres::PgStore;
use cxmap_store_sqlite::SqliteStore;

enum Backend {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

async fn connect(url: &str) -> Result<Backend, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres(PgStore::connect(url).await?))
    } else {
        Err(StoreError::Other(format!(
            "unsupported database URL {:?}: use sqlite://PATH or postgres://…",
            url.split("://").next().unwrap_or_default()
        )))
    }
}

/// Connects and migrates.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match connect(url).await? {
        Backend::Sqlite(store) => {
            store.migrate().await?;
            Arc::new(store)
        }
        Backend::Postgres(store) => {
            store.migrate().await?;
            Arc::new(store)
        }
    })
}

/// Connects, migrates and reports the schema version.
pub async fn migrate(url: &str) -> Result<SchemaStatus, StoreError> {
    match connect(url).await? {
        Backend::Sqlite(store) => store.migrate().await,
        Backend::Postgres(store) => store.migrate().await,
    }
}
