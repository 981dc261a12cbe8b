//! Browser sessions, share links and the co-editing op log.

use std::pin::Pin;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::Stream;
use serde::{Deserialize, Serialize};

use cxmap_domain::{
    ClientId, Comment, Journey, JourneyId, JourneyOp, Role, ShareId, UserId, Version,
};

use crate::accounts::{TokenHash, User};
use crate::error::{StoreError, StoreResult};

/// A signed-in browser. The cookie carries a random secret; only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The SHA-256 of the cookie's secret.
    pub hash: TokenHash,
    /// Who is signed in.
    pub user_id: UserId,
    /// The anti-CSRF token bound to this session (double-submit: cookie and header must match it).
    pub csrf: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// A link that grants a role on one journey to whoever opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    /// Its id.
    pub id: ShareId,
    /// The journey it opens.
    pub journey_id: JourneyId,
    /// What it lets the holder do (never `owner`).
    pub role: Role,
    /// The SHA-256 of the link's secret.
    pub token_hash: TokenHash,
    /// Who made it.
    pub created_by: UserId,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Share {
    /// Whether the link still opens its journey at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }
}

/// One committed batch of co-editing operations: the journey went from `version - 1` to
/// `version` by applying `ops`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpLogEntry {
    /// The journey.
    pub journey_id: JourneyId,
    /// The version this batch produced.
    pub version: Version,
    /// The client that sent it.
    pub client_id: ClientId,
    /// The client's sequence number for the batch.
    pub client_seq: i64,
    /// Who sent it.
    pub user_id: UserId,
    /// The operations.
    pub ops: Vec<JourneyOp>,
    /// When it was committed.
    pub created_at: DateTime<Utc>,
}

/// Decides, from the journey as it is now, what one commit stores (see
/// [`CollabStore::commit_with`]).
pub type PlanCommit<'a> = dyn FnMut(Journey) -> Option<(Journey, Vec<OpLogEntry>)> + Send + 'a;

/// A notice that a journey reached a version, from any server process on the same database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The journey.
    pub journey: JourneyId,
    /// The version it reached.
    pub version: Version,
    /// The batches of the commit, when they fit in the notice (else read them from the op log).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<OpLogEntry>,
}

/// The notices of commits made by any process.
pub type ChangeFeed = Pin<Box<dyn Stream<Item = Change> + Send>>;

/// Sessions, share links, mentions and the op log.
#[async_trait]
pub trait CollabStore {
    /// Stores a new session.
    async fn create_session(&self, session: &Session) -> StoreResult<()>;
    /// The live session with this hash and its user.
    async fn session(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(Session, User)>>;
    /// Ends a session (signing out). Unknown hashes are not an error.
    async fn delete_session(&self, hash: &TokenHash) -> StoreResult<()>;

    /// Stores a new share link.
    async fn create_share(&self, share: &Share) -> StoreResult<()>;
    /// The share links of a journey, newest first.
    async fn shares(&self, journey: JourneyId) -> StoreResult<Vec<Share>>;
    /// A share link by the hash of its secret (live or not).
    async fn share_by_token(&self, hash: &TokenHash) -> StoreResult<Option<Share>>;
    /// Revokes a share link of `journey`; every grant made through it stops working.
    async fn revoke_share(
        &self,
        journey: JourneyId,
        id: ShareId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Records that `user` opened `share` (idempotent).
    async fn grant_share(&self, share: ShareId, user: UserId) -> StoreResult<()>;
    /// The strongest role `user` holds on `journey` through live share links.
    async fn share_role(
        &self,
        journey: JourneyId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Role>>;

    /// Records whom a comment mentions (replacing earlier mentions of it).
    async fn set_mentions(&self, comment: &Comment) -> StoreResult<()>;
    /// The comments that mention `user`, newest first, at most `limit`.
    async fn mentions_of(&self, user: UserId, limit: i64) -> StoreResult<Vec<Comment>>;

    /// Commits co-editing batches to a journey under its write lock: reads the current journey
    /// (no other writer can change it meanwhile), hands it to `plan`, and stores what `plan`
    /// returns — the new journey and its op-log rows, whose last version must be the journey's —
    /// in the same transaction, and returns those rows (none when `plan` returned `None` and
    /// nothing was committed). A replayed `(client_id, client_seq)` fails with `AlreadyExists`
    /// and changes nothing.
    async fn commit_with(
        &self,
        journey: JourneyId,
        plan: &mut PlanCommit<'_>,
    ) -> StoreResult<Vec<OpLogEntry>>;
    /// The op-log entries of a journey after `since`, oldest first, at most `limit`.
    async fn ops_since(
        &self,
        journey: JourneyId,
        since: Version,
        limit: i64,
    ) -> StoreResult<Vec<OpLogEntry>>;
    /// The version a client's batch produced, if it was committed.
    async fn committed_version(
        &self,
        journey: JourneyId,
        client: ClientId,
        seq: i64,
    ) -> StoreResult<Option<Version>>;
    /// Notices of commits made by any process on this database, when the backend can tell
    /// other processes (PostgreSQL's `LISTEN/NOTIFY`); `None` for a single-process backend.
    async fn change_feed(&self) -> StoreResult<Option<ChangeFeed>>;
}

/// The strongest of several stored role names (`None` for none).
pub fn strongest_role(names: &[String]) -> StoreResult<Option<Role>> {
    let mut best = None;
    for name in names {
        let role: Role = name.parse().map_err(StoreError::Corrupt)?;
        best = best.max(Some(role));
    }
    Ok(best)
}
