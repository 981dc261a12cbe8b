use thiserror::Error;

use cxmap_domain::{OpError, ValidationError, Version};

/// Everything a store operation can fail with. The server maps each variant to one HTTP status.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The entity does not exist (or is not visible to the caller).
    #[error("{entity} {id} not found")]
    NotFound {
        /// What kind of entity, e.g. "journey".
        entity: &'static str,
        /// Its id as given.
        id: String,
    },
    /// A write was based on an older version than the stored one.
    #[error("journey changed since version {expected}; it is now at version {actual}")]
    VersionConflict {
        /// The version the writer had read.
        expected: Version,
        /// The version in the store.
        actual: Version,
    },
    /// A unique key is already taken.
    #[error("{0}")]
    AlreadyExists(String),
    /// The data breaks a rule of the model.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// An edit operation could not be applied.
    #[error(transparent)]
    Op(#[from] OpError),
    /// The database cannot be reached or refused the connection; retrying later may work.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database was migrated by a newer cxmap.
    #[error(
        "the database schema is at migration {database}, newer than this cxmap knows ({known}); upgrade cxmap"
    )]
    SchemaTooNew {
        /// The database's newest migration.
        database: i64,
        /// This build's newest migration.
        known: i64,
    },
    /// Stored data could not be read back (corruption or a bug).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Other(String),
}

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// A not-found error for `entity` with `id`.
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }
}
