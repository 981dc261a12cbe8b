//! The storage port of cxmap.
//!
//! The server talks to storage only through the [`Store`] trait object; each backend
//! (`cxmap-store-sqlite`, `cxmap-store-postgres`) implements it with its own SQL and migrations.
//! The [`suite`] module (feature `suite`) is the one behaviour test suite every adapter runs,
//! so that backends cannot drift apart.

mod accounts;
mod collab;
mod error;
mod events;
mod journeys;
mod links;
#[cfg(feature = "suite")]
pub mod suite;
mod surveys;

pub use accounts::*;
pub use collab::*;
pub use error::*;
pub use events::*;
pub use journeys::*;
pub use links::*;
pub use surveys::*;

/// Everything the server needs from a database.
pub trait Store:
    AccountStore
    + CollabStore
    + JourneyStore
    + EventStore
    + LinkStore
    + SurveyStore
    + Send
    + Sync
    + 'static
{
    /// A short name of the backend for logs and `/healthz` ("sqlite", "postgres").
    fn backend(&self) -> &'static str;
}

/// The schema version a database is at versus the newest this build knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaStatus {
    /// The highest migration applied to the database.
    pub database: i64,
    /// The highest migration this build ships.
    pub known: i64,
}
