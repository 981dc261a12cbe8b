use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use cxmap_domain::{Email, Project, ProjectId, Role, Text, Title, UserId, Workspace, WorkspaceId};

use crate::error::StoreResult;
use crate::journeys::JourneyStore;

/// A person who can sign in or hold API tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// The sign-in address.
    pub email: Email,
    /// The display name.
    pub name: String,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

/// A workspace membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The member.
    pub user: User,
    /// Their role.
    pub role: Role,
}

/// The SHA-256 of an API token: only this is stored, so a database leak reveals no token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHash(pub String);

impl TokenHash {
    /// Hashes a presented token.
    pub fn of(token: &str) -> Self {
        Self(hex::encode(Sha256::digest(token.as_bytes())))
    }
}

/// A freshly generated API token: the plaintext is shown once, the hash is stored.
pub struct NewToken {
    /// The secret the user copies (`cxm_` + 64 hex digits).
    pub plaintext: String,
    /// What the store keeps.
    pub hash: TokenHash,
}

impl NewToken {
    /// 256 random bits from the operating system's generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let plaintext = format!("cxm_{}", hex::encode(bytes));
        let hash = TokenHash::of(&plaintext);
        Self { plaintext, hash }
    }
}

/// Users, workspaces, memberships and API tokens.
#[async_trait]
pub trait AccountStore {
    /// Creates a user; `password_hash` is an argon2 PHC string or `None` for token-only users.
    async fn create_user(&self, user: &User, password_hash: Option<&str>) -> StoreResult<()>;
    /// A user by id.
    async fn user(&self, id: UserId) -> StoreResult<User>;
    /// A user by e-mail address.
    async fn user_by_email(&self, email: &Email) -> StoreResult<Option<User>>;
    /// Sets a user's password hash (an invited member claiming their account).
    async fn set_password(&self, id: UserId, password_hash: &str) -> StoreResult<()>;
    /// The stored password hash of a user.
    async fn password_hash(&self, id: UserId) -> StoreResult<Option<String>>;
    /// How many users exist.
    async fn count_users(&self) -> StoreResult<i64>;

    /// Creates a workspace with `owner` as its first member, in one transaction.
    async fn create_workspace(&self, workspace: &Workspace, owner: UserId) -> StoreResult<()>;
    /// A workspace by id.
    async fn workspace(&self, id: WorkspaceId) -> StoreResult<Workspace>;
    /// The workspaces a user belongs to, with their role in each.
    async fn workspaces_of(&self, user: UserId) -> StoreResult<Vec<(Workspace, Role)>>;
    /// A user's role in a workspace, if a member.
    async fn role(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<Option<Role>>;
    /// Adds a member or changes their role.
    async fn set_member(&self, workspace: WorkspaceId, user: UserId, role: Role)
    -> StoreResult<()>;
    /// Removes a member.
    async fn remove_member(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<()>;
    /// The members of a workspace.
    async fn members(&self, workspace: WorkspaceId) -> StoreResult<Vec<Member>>;

    /// Stores a token hash for a user under a label.
    async fn add_token(&self, user: UserId, label: &str, hash: &TokenHash) -> StoreResult<()>;
    /// The user a token belongs to, if it exists and is not revoked.
    async fn user_by_token(&self, hash: &TokenHash) -> StoreResult<Option<User>>;
    /// Revokes a token.
    async fn revoke_token(&self, hash: &TokenHash) -> StoreResult<()>;
}

/// What [`ensure_user`] did.
pub struct EnsuredUser {
    /// The user, found or created.
    pub user: User,
    /// The workspace created for the very first user, if this call created it.
    pub new_workspace: Option<Workspace>,
}

/// Finds the user with `email` or creates it. The very first user of a store also gets a new
/// workspace (with a first project) that they own, so a fresh install is usable at once.
pub async fn ensure_user<S: AccountStore + JourneyStore + ?Sized>(
    store: &S,
    email: &Email,
    name: &str,
    password_hash: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<EnsuredUser> {
    if let Some(user) = store.user_by_email(email).await? {
        return Ok(EnsuredUser {
            user,
            new_workspace: None,
        });
    }
    let first = store.count_users().await? == 0;
    let user = User {
        id: UserId::new(),
        email: email.clone(),
        name: name.to_owned(),
        created_at: now,
    };
    store.create_user(&user, password_hash).await?;
    let new_workspace = if first {
        Some(create_own_workspace(store, &user, now).await?)
    } else {
        None
    };
    Ok(EnsuredUser {
        user,
        new_workspace,
    })
}

/// Creates a workspace owned by `user`, named after them, with a first project.
pub async fn create_own_workspace<S: AccountStore + JourneyStore + ?Sized>(
    store: &S,
    user: &User,
    now: DateTime<Utc>,
) -> StoreResult<Workspace> {
    let workspace = Workspace {
        id: WorkspaceId::new(),
        name: Title::parse(format!("{}'s workspace", user.name))
            .or_else(|_| Title::parse("Workspace"))?,
        created_at: now,
    };
    store.create_workspace(&workspace, user.id).await?;
    store
        .create_project(&Project {
            id: ProjectId::new(),
            workspace_id: workspace.id,
            name: Title::parse("First project")?,
            description: Text::default(),
            created_at: now,
        })
        .await?;
    Ok(workspace)
}
