//! Who may do what: workspace roles, ordered from least to most power.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A member's role in a workspace. Each role can do everything the roles before it can.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads maps and analytics.
    Viewer,
    /// Reads and comments.
    Commenter,
    /// Changes maps, links, surveys and data.
    Editor,
    /// Manages members, share links and deletion.
    Owner,
}

impl Role {
    /// Every role, least powerful first.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Commenter, Role::Editor, Role::Owner];

    /// The lower-case name used in the API and the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Commenter => "commenter",
            Role::Editor => "editor",
            Role::Owner => "owner",
        }
    }

    /// True when this role includes `needed`.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Owner.allows(Role::Editor));
        assert!(Role::Editor.allows(Role::Commenter));
        assert!(!Role::Viewer.allows(Role::Commenter));
        assert!(!Role::Commenter.allows(Role::Editor));
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
    }
}
