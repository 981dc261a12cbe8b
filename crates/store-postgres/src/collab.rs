use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cxmap_domain::{
    ClientId, Comment, Journey, JourneyId, JourneyOp, Role, ShareId, UserId, Version,
};
use cxmap_store::{
    Change, ChangeFeed, CollabStore, OpLogEntry, PlanCommit, Session, Share, StoreError,
    StoreResult, TokenHash, User, strongest_role,
};
use sqlx::Row;
use sqlx::postgres::{PgListener, PgRow};
use sqlx::types::Json;

use crate::accounts::user_from_row;
use crate::{PgStore, corrupt, map_err};

fn share_from_row(row: &PgRow) -> StoreResult<Share> {
    Ok(Share {
        id: ShareId::from_uuid(row.try_get("id").map_err(corrupt)?),
        journey_id: JourneyId::from_uuid(row.try_get("journey_id").map_err(corrupt)?),
        role: row
            .try_get::<String, _>("role")
            .map_err(corrupt)?
            .parse::<Role>()
            .map_err(StoreError::Corrupt)?,
        token_hash: TokenHash(row.try_get("token_hash").map_err(corrupt)?),
        created_by: UserId::from_uuid(row.try_get("created_by").map_err(corrupt)?),
        created_at: row.try_get("created_at").map_err(corrupt)?,
        expires_at: row.try_get("expires_at").map_err(corrupt)?,
        revoked_at: row.try_get("revoked_at").map_err(corrupt)?,
    })
}

fn entry_from_row(row: &PgRow) -> StoreResult<OpLogEntry> {
    Ok(OpLogEntry {
        journey_id: JourneyId::from_uuid(row.try_get("journey_id").map_err(corrupt)?),
        version: Version(row.try_get("version").map_err(corrupt)?),
        client_id: ClientId::from_uuid(row.try_get("client_id").map_err(corrupt)?),
        client_seq: row.try_get("client_seq").map_err(corrupt)?,
        user_id: UserId::from_uuid(row.try_get("user_id").map_err(corrupt)?),
        ops: row
            .try_get::<Json<Vec<JourneyOp>>, _>("ops")
            .map_err(corrupt)?
            .0,
        created_at: row.try_get("created_at").map_err(corrupt)?,
    })
}

/// `SELECT <every share column> FROM shares <rest>`, as one static string.
macro_rules! select_shares {
    ($rest:literal) => {
        concat!(
            "SELECT id, journey_id, role, token_hash, created_by, created_at, expires_at, revoked_at \
             FROM shares ",
            $rest
        )
    };
}

#[async_trait]
impl CollabStore for PgStore {
    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&session.hash.0)
        .bind(session.user_id.as_uuid())
        .bind(&session.csrf)
        .bind(session.created_at)
        .bind(session.expires_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn session(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(Session, User)>> {
        let Some(row) = sqlx::query(
            "SELECT s.hash, s.csrf, s.created_at AS s_created, s.expires_at, \
                    u.id, u.email, u.name, u.created_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.hash = $1 AND s.expires_at > $2",
        )
        .bind(&hash.0)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?
        else {
            return Ok(None);
        };
        let user = user_from_row(&row)?;
        let session = Session {
            hash: TokenHash(row.try_get("hash").map_err(corrupt)?),
            user_id: user.id,
            csrf: row.try_get("csrf").map_err(corrupt)?,
            created_at: row.try_get("s_created").map_err(corrupt)?,
            expires_at: row.try_get("expires_at").map_err(corrupt)?,
        };
        Ok(Some((session, user)))
    }

    async fn delete_session(&self, hash: &TokenHash) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE hash = $1")
            .bind(&hash.0)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn create_share(&self, share: &Share) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO shares (id, journey_id, role, token_hash, created_by, created_at, expires_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(share.id.as_uuid())
        .bind(share.journey_id.as_uuid())
        .bind(share.role.as_str())
        .bind(&share.token_hash.0)
        .bind(share.created_by.as_uuid())
        .bind(share.created_at)
        .bind(share.expires_at)
        .bind(share.revoked_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn shares(&self, journey: JourneyId) -> StoreResult<Vec<Share>> {
        sqlx::query(select_shares!(
            "WHERE journey_id = $1 ORDER BY created_at DESC, id DESC"
        ))
        .bind(journey.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(share_from_row)
        .collect()
    }

    async fn share_by_token(&self, hash: &TokenHash) -> StoreResult<Option<Share>> {
        sqlx::query(select_shares!("WHERE token_hash = $1"))
            .bind(&hash.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(share_from_row)
            .transpose()
    }

    async fn revoke_share(
        &self,
        journey: JourneyId,
        id: ShareId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE shares SET revoked_at = coalesce(revoked_at, $3) WHERE id = $1 AND journey_id = $2",
        )
        .bind(id.as_uuid())
        .bind(journey.as_uuid())
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("share link", id));
        }
        Ok(())
    }

    async fn grant_share(&self, share: ShareId, user: UserId) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO share_grants (share_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(share.as_uuid())
        .bind(user.as_uuid())
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn share_role(
        &self,
        journey: JourneyId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Role>> {
        let roles: Vec<String> = sqlx::query_scalar(
            "SELECT s.role FROM share_grants g JOIN shares s ON s.id = g.share_id \
             WHERE g.user_id = $1 AND s.journey_id = $2 AND s.revoked_at IS NULL \
               AND (s.expires_at IS NULL OR s.expires_at > $3)",
        )
        .bind(user.as_uuid())
        .bind(journey.as_uuid())
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        strongest_role(&roles)
    }

    async fn set_mentions(&self, comment: &Comment) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query("DELETE FROM comment_mentions WHERE comment_id = $1")
            .bind(comment.id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        for user in &comment.mentions {
            sqlx::query(
                "INSERT INTO comment_mentions (comment_id, user_id, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(comment.id.as_uuid())
            .bind(user.as_uuid())
            .bind(comment.created_at)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn mentions_of(&self, user: UserId, limit: i64) -> StoreResult<Vec<Comment>> {
        let docs: Vec<Json<Comment>> = sqlx::query_scalar(
            "SELECT c.doc FROM comment_mentions m JOIN comments c ON c.id = m.comment_id \
             WHERE m.user_id = $1 ORDER BY m.created_at DESC, c.id DESC LIMIT $2",
        )
        .bind(user.as_uuid())
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(docs.into_iter().map(|d| d.0).collect())
    }

    async fn commit_with(
        &self,
        journey: JourneyId,
        plan: &mut PlanCommit<'_>,
    ) -> StoreResult<Vec<OpLogEntry>> {
        // FOR UPDATE holds the row: another process's commit waits for ours instead of failing.
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let doc: Option<Json<Journey>> =
            sqlx::query_scalar("SELECT doc FROM journeys WHERE id = $1 FOR UPDATE")
                .bind(journey.as_uuid())
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_err)?;
        let current = doc
            .ok_or_else(|| StoreError::not_found("journey", journey))?
            .0;
        let expected = current.version;
        let Some((next, entries)) = plan(current) else {
            return Ok(Vec::new());
        };
        next.validate()?;
        sqlx::query(
            "UPDATE journeys SET doc = $3, version = $4, updated_at = $5 WHERE id = $1 AND version = $2",
        )
        .bind(journey.as_uuid())
        .bind(expected.0)
        .bind(Json(&next))
        .bind(next.version.0)
        .bind(next.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        for entry in &entries {
            sqlx::query(
                "INSERT INTO journey_ops (journey_id, version, client_id, client_seq, user_id, ops, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(entry.journey_id.as_uuid())
            .bind(entry.version.0)
            .bind(entry.client_id.as_uuid())
            .bind(entry.client_seq)
            .bind(entry.user_id.as_uuid())
            .bind(Json(&entry.ops))
            .bind(entry.created_at)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        // Delivered to every listening process when (and only if) the transaction commits.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(OPS_CHANNEL)
            .bind(notice_payload(&next, &entries))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(entries)
    }

    async fn ops_since(
        &self,
        journey: JourneyId,
        since: Version,
        limit: i64,
    ) -> StoreResult<Vec<OpLogEntry>> {
        sqlx::query(
            "SELECT journey_id, version, client_id, client_seq, user_id, ops, created_at \
             FROM journey_ops WHERE journey_id = $1 AND version > $2 ORDER BY version LIMIT $3",
        )
        .bind(journey.as_uuid())
        .bind(since.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(entry_from_row)
        .collect()
    }

    async fn committed_version(
        &self,
        journey: JourneyId,
        client: ClientId,
        seq: i64,
    ) -> StoreResult<Option<Version>> {
        let version: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM journey_ops WHERE journey_id = $1 AND client_id = $2 AND client_seq = $3",
        )
        .bind(journey.as_uuid())
        .bind(client.as_uuid())
        .bind(seq)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(version.map(Version))
    }

    async fn change_feed(&self) -> StoreResult<Option<ChangeFeed>> {
        let mut listener = PgListener::connect_with(&self.pool)
            .await
            .map_err(map_err)?;
        listener.listen(OPS_CHANNEL).await.map_err(map_err)?;
        // `PgListener` reconnects by itself; notices sent while it was away are caught up by
        // the next notice for the same journey (rooms fetch every version they missed).
        let feed = futures::stream::unfold(listener, |mut listener| async move {
            loop {
                match listener.recv().await {
                    Ok(notice) => {
                        if let Some(change) = parse_notice(notice.payload()) {
                            return Some((change, listener));
                        }
                        tracing::warn!(
                            payload = notice.payload(),
                            "ignoring a malformed op notice"
                        );
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "op notice listener failed; retrying");
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    }
                }
            }
        });
        Ok(Some(Box::pin(feed)))
    }
}

/// The `LISTEN/NOTIFY` channel on which commits are announced as `"<journey id> <version>"`.
const OPS_CHANNEL: &str = "cxmap_journey_ops";

/// PostgreSQL refuses notice payloads of 8,000 bytes or more.
const MAX_PAYLOAD: usize = 7900;

/// The commit as JSON, with its batches when they fit, so listeners need not read them back.
fn notice_payload(journey: &Journey, entries: &[OpLogEntry]) -> String {
    let mut change = Change {
        journey: journey.id,
        version: journey.version,
        entries: entries.to_vec(),
    };
    if let Ok(full) = serde_json::to_string(&change)
        && full.len() < MAX_PAYLOAD
    {
        return full;
    }
    change.entries.clear();
    serde_json::to_string(&change).unwrap_or_default()
}

fn parse_notice(payload: &str) -> Option<Change> {
    serde_json::from_str(payload).ok()
}
