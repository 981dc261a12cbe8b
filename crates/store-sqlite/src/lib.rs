//! The SQLite adapter of the cxmap storage port: the embedded default.
//!
//! The file runs in WAL mode with `synchronous=FULL`, so an answered write survives a killed
//! process and a power cut. Migrations live in `migrations/` and are embedded in the binary.

mod accounts;
mod collab;
mod events;
mod journeys;
mod links;
mod surveys;

use std::str::FromStr;
use std::time::Duration;

use cxmap_store::{SchemaStatus, Store, StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A cxmap store in one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Serialises event writers inside the process (see `events.rs`).
    event_writer: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at a `sqlite://PATH` URL. Does not migrate.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Other(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(map_err)?;
        Ok(Self {
            pool,
            event_writer: Default::default(),
        })
    }

    /// The underlying pool, for adapters of other ports that share the file.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Where the schema stands.
    pub async fn schema_status(&self) -> StoreResult<SchemaStatus> {
        let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        let exists: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        let database = if exists == 0 {
            0
        } else {
            sqlx::query("SELECT coalesce(max(version), 0) AS v FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await
                .map_err(map_err)?
                .try_get::<i64, _>("v")
                .map_err(map_err)?
        };
        Ok(SchemaStatus { database, known })
    }

    /// Applies pending migrations; refuses a database migrated by a newer cxmap.
    pub async fn migrate(&self) -> StoreResult<SchemaStatus> {
        let status = self.schema_status().await?;
        if status.database > status.known {
            return Err(StoreError::SchemaTooNew {
                database: status.database,
                known: status.known,
            });
        }
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Other(format!("migration failed: {e}")))?;
        self.schema_status().await
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }
}

/// Maps a driver error onto the port's error type.
pub(crate) fn map_err(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::AlreadyExists(db.message().to_owned())
        }
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound {
            entity: "referenced record",
            id: db.message().to_owned(),
        },
        sqlx::Error::Database(db)
            if matches!(db.code().as_deref(), Some("5" | "6" | "517" | "261")) =>
        {
            StoreError::Unavailable(format!("database is busy: {}", db.message()))
        }
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.to_string()),
        _ => StoreError::Other(err.to_string()),
    }
}

/// Parses a JSON document column back into a model value.
pub(crate) fn from_doc<T: serde::de::DeserializeOwned>(doc: &str) -> StoreResult<T> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Serialises a model value into a JSON document column.
pub(crate) fn to_doc<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}
