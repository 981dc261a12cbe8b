//! The cxmap journey model.
//!
//! Everything here is pure data and pure functions: no I/O, no clock reads beyond what a
//! caller passes in, no knowledge of HTTP, SQL or JSON field layouts of the API. Values that
//! have bounds (emotions, titles, slugs, e-mail addresses) are newtypes that can only be built
//! through a parser, so an invalid value cannot exist past the boundary.

pub mod access;
pub mod audit;
pub mod event_mapping;
pub mod file;
pub mod ids;
pub mod journey;
pub mod ops;
pub mod survey;
pub mod templates;
pub mod values;

pub use access::Role;
pub use event_mapping::{EventMapper, MappingRule, MatchKind};
pub use ids::*;
pub use journey::*;
pub use ops::{JourneyOp, OpError};
pub use values::*;

/// The current time at the model's precision (microseconds), which every backend stores
/// exactly; use it instead of `Utc::now()` wherever a time is stamped.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}
