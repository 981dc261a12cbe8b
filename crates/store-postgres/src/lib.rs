//! The PostgreSQL adapter of the cxmap storage port, for teams that run a database server.
//!
//! The schema mirrors the SQLite adapter's table for table, with PostgreSQL types: `UUID` ids,
//! `TIMESTAMPTZ` times and `JSONB` documents (so a journey can be queried in SQL, e.g.
//! `doc->>'title'`). Migrations live in `migrations/`, are embedded in the binary and carry the
//! same numbers as the SQLite adapter's.
//!
//! A database that is down or unreachable yields [`StoreError::Unavailable`] within the pool's
//! acquire timeout ([`ACQUIRE_TIMEOUT`]) instead of hanging a request.

mod accounts;
mod collab;
mod events;
mod journeys;
mod links;
mod surveys;

use std::str::FromStr;
use std::time::Duration;

use cxmap_store::{SchemaStatus, Store, StoreError, StoreResult};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long an operation waits for a pooled connection (or a new one) before giving up with
/// [`StoreError::Unavailable`].
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// A cxmap store in a PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database at a `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` URL.
    /// Does not migrate. Fails with [`StoreError::Unavailable`] when the server cannot be
    /// reached within [`ACQUIRE_TIMEOUT`].
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Other(format!("bad PostgreSQL URL: {e}")))?
            .application_name("cxmap");
        // Named in errors without the password, which the URL may carry.
        let server = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or_default()
        );
        // sqlx retries a refused connection until the acquire timeout (the server may be
        // starting up), so a server that stays down costs ACQUIRE_TIMEOUT, then Unavailable.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| match map_err(e) {
                StoreError::Unavailable(why) => {
                    StoreError::Unavailable(format!("PostgreSQL at {server}: {why}"))
                }
                other => other,
            })?;
        Ok(Self { pool })
    }

    /// The underlying pool, for adapters of other ports that share the database.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Where the schema stands.
    pub async fn schema_status(&self) -> StoreResult<SchemaStatus> {
        let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        let database = if exists {
            sqlx::query_scalar(
                "SELECT coalesce(max(version), 0)::BIGINT FROM _sqlx_migrations WHERE success",
            )
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?
        } else {
            0
        };
        Ok(SchemaStatus { database, known })
    }

    /// Applies pending migrations; refuses a database migrated by a newer cxmap.
    ///
    /// Several processes may call this at once: sqlx serialises migrations with an advisory
    /// lock.
    pub async fn migrate(&self) -> StoreResult<SchemaStatus> {
        let status = self.schema_status().await?;
        if status.database > status.known {
            return Err(StoreError::SchemaTooNew {
                database: status.database,
                known: status.known,
            });
        }
        MIGRATOR.run(&self.pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(inner) => match map_err(inner) {
                unavailable @ StoreError::Unavailable(_) => unavailable,
                other => StoreError::Other(format!("migration failed: {other}")),
            },
            other => StoreError::Other(format!("migration failed: {other}")),
        })?;
        let status = self.schema_status().await?;
        tracing::debug!(database = status.database, "postgres schema migrated");
        Ok(status)
    }
}

impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }
}

/// Maps a driver error onto the port's error type, by SQLSTATE for server errors.
pub(crate) fn map_err(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            match code.as_ref() {
                // unique_violation
                "23505" => StoreError::AlreadyExists(db.message().to_owned()),
                // foreign_key_violation
                "23503" => StoreError::NotFound {
                    entity: "referenced record",
                    id: db.message().to_owned(),
                },
                // admin/crash shutdown, cannot connect now, too many connections, out of
                // resources, serialization failure and deadlock: all may pass on a retry.
                "57P01" | "57P02" | "57P03" | "53000" | "53100" | "53200" | "53300" | "40001"
                | "40P01" => StoreError::Unavailable(format!("{} ({code})", db.message())),
                // connection_exception class
                c if c.starts_with("08") => {
                    StoreError::Unavailable(format!("{} ({code})", db.message()))
                }
                _ => StoreError::Other(format!("{} ({code})", db.message())),
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.to_string()),
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
            StoreError::Corrupt(err.to_string())
        }
        _ => StoreError::Other(err.to_string()),
    }
}

/// A column read failure: the row does not have the shape this build expects.
pub(crate) fn corrupt(err: sqlx::Error) -> StoreError {
    StoreError::Corrupt(err.to_string())
}
