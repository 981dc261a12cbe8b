//! Typed identifiers. Each entity has its own id type so that a stage id can never be passed
//! where a touchpoint id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! define_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered (UUID v7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID (from storage or a parsed request).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The underlying UUID.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

// Other modules of the model (surveys) define their ids with the same macro.
pub(crate) use define_id;

define_id!(
    /// A workspace: the unit of membership and billing-free tenancy.
    WorkspaceId,
    /// A project inside a workspace; it groups journeys.
    ProjectId,
    /// A customer journey map.
    JourneyId,
    /// A persona on a journey.
    PersonaId,
    /// A stage (column) of a journey.
    StageId,
    /// A touchpoint inside a stage.
    TouchpointId,
    /// An improvement opportunity.
    OpportunityId,
    /// A comment on an element of a map.
    CommentId,
    /// A user account.
    UserId,
    /// A rule that maps event names to a touchpoint.
    MappingRuleId,
    /// A tracked short link.
    LinkId,
    /// A share link that grants a role on one journey.
    ShareId,
    /// One browser tab (or script) taking part in live co-editing; with a sequence number it
    /// names an edit batch, so a replayed batch is recognised.
    ClientId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_strings() {
        let id = JourneyId::new();
        let parsed: JourneyId = id.to_string().parse().unwrap();
        assert_eq!(id, parsed);
        assert!("not-a-uuid".parse::<StageId>().is_err());
    }
}
