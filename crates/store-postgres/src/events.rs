//! Events, batch idempotency keys and mapping rules in PostgreSQL.
//!
//! A batch is inserted with one statement per [`CHUNK`] events: the columns travel as arrays and
//! `UNNEST … WITH ORDINALITY` turns them into rows in their original order (which `seq`, an
//! identity column, then records).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cxmap_domain::{JourneyId, MappingRule, MappingRuleId, MatchKind, TouchpointId, WorkspaceId};
use cxmap_store::{
    BatchKey, BatchReceipt, EventImport, EventStore, NewEvent, StoreError, StoreResult, StoredEvent,
};
use futures::TryStreamExt;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row, Transaction};

use crate::{PgStore, corrupt, map_err};

/// Events per INSERT statement: bounds the size of one bind message.
const CHUNK: usize = 10_000;

async fn insert_events(
    tx: &mut Transaction<'static, Postgres>,
    workspace: WorkspaceId,
    events: &[NewEvent<'_>],
) -> StoreResult<()> {
    for chunk in events.chunks(CHUNK) {
        let cases: Vec<&str> = chunk.iter().map(|e| e.case_id).collect();
        let activities: Vec<&str> = chunk.iter().map(|e| e.activity).collect();
        let times: Vec<i64> = chunk.iter().map(|e| e.ts_us).collect();
        let attrs: Vec<Option<&str>> = chunk.iter().map(|e| e.attributes).collect();
        sqlx::query(
            "INSERT INTO events (workspace_id, case_id, activity, ts, attrs) \
             SELECT $1, c, a, timestamptz 'epoch' + t * interval '1 microsecond', x::jsonb \
             FROM UNNEST($2::text[], $3::text[], $4::int8[], $5::text[]) WITH ORDINALITY AS u(c, a, t, x, o) \
             ORDER BY o",
        )
        .bind(workspace.as_uuid())
        .bind(cases)
        .bind(activities)
        .bind(times)
        .bind(attrs)
        .execute(&mut **tx)
        .await
        .map_err(|e| match map_err(e) {
            StoreError::NotFound { .. } => StoreError::not_found("workspace", workspace),
            other => other,
        })?;
    }
    Ok(())
}

struct PgImport {
    tx: Transaction<'static, Postgres>,
    workspace: WorkspaceId,
    events: u64,
}

#[async_trait]
impl EventImport for PgImport {
    async fn append(&mut self, events: &[NewEvent<'_>]) -> StoreResult<()> {
        insert_events(&mut self.tx, self.workspace, events).await?;
        self.events += events.len() as u64;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> StoreResult<u64> {
        let events = self.events;
        self.tx.commit().await.map_err(map_err)?;
        Ok(events)
    }
}

fn rule_from_row(row: &PgRow) -> StoreResult<MappingRule> {
    Ok(MappingRule {
        id: MappingRuleId::from_uuid(row.try_get("id").map_err(corrupt)?),
        journey_id: JourneyId::from_uuid(row.try_get("journey_id").map_err(corrupt)?),
        kind: MatchKind::parse(row.try_get::<&str, _>("kind").map_err(corrupt)?)?,
        pattern: row.try_get("pattern").map_err(corrupt)?,
        touchpoint_id: TouchpointId::from_uuid(row.try_get("touchpoint_id").map_err(corrupt)?),
        created_at: row.try_get("created_at").map_err(corrupt)?,
    })
}

#[async_trait]
impl EventStore for PgStore {
    async fn append_events(
        &self,
        workspace: WorkspaceId,
        key: Option<BatchKey<'_>>,
        events: &[NewEvent<'_>],
        now: DateTime<Utc>,
    ) -> StoreResult<BatchReceipt> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        if let Some(key) = key {
            // A concurrent batch with the same key waits on the unique index until the first
            // commits (then conflicts) or rolls back (then claims the key itself).
            let claimed = sqlx::query(
                "INSERT INTO event_batches (workspace_id, idempotency_key, fingerprint, events, received_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(workspace.as_uuid())
            .bind(key.key)
            .bind(key.fingerprint)
            .bind(events.len() as i64)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| match map_err(e) {
                StoreError::NotFound { .. } => StoreError::not_found("workspace", workspace),
                other => other,
            })?;
            if claimed.rows_affected() == 0 {
                let row = sqlx::query(
                    "SELECT fingerprint, events, received_at FROM event_batches \
                     WHERE workspace_id = $1 AND idempotency_key = $2",
                )
                .bind(workspace.as_uuid())
                .bind(key.key)
                .fetch_one(&mut *tx)
                .await
                .map_err(map_err)?;
                return Ok(BatchReceipt {
                    events: row.try_get::<i64, _>("events").map_err(corrupt)?.max(0) as u64,
                    received_at: row.try_get("received_at").map_err(corrupt)?,
                    fingerprint: row.try_get("fingerprint").map_err(corrupt)?,
                    replayed: true,
                });
            }
        }
        insert_events(&mut tx, workspace, events).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(BatchReceipt {
            events: events.len() as u64,
            received_at: now,
            fingerprint: key.map(|k| k.fingerprint.to_owned()).unwrap_or_default(),
            replayed: false,
        })
    }

    async fn begin_event_import(
        &self,
        workspace: WorkspaceId,
    ) -> StoreResult<Box<dyn EventImport>> {
        let tx = self.pool.begin().await.map_err(map_err)?;
        Ok(Box::new(PgImport {
            tx,
            workspace,
            events: 0,
        }))
    }

    async fn scan_events(
        &self,
        workspace: WorkspaceId,
        visit: &mut (dyn for<'e> FnMut(StoredEvent<'e>) + Send),
    ) -> StoreResult<u64> {
        let mut rows = sqlx::query(
            "SELECT case_id, activity, \
             (EXTRACT(EPOCH FROM ts) * 1000000)::int8 AS ts_us FROM events \
             WHERE workspace_id = $1 ORDER BY seq",
        )
        .bind(workspace.as_uuid())
        .fetch(&self.pool);
        let mut n = 0u64;
        while let Some(row) = rows.try_next().await.map_err(map_err)? {
            visit(StoredEvent {
                case_id: row.try_get("case_id").map_err(corrupt)?,
                activity: row.try_get("activity").map_err(corrupt)?,
                ts_us: row.try_get("ts_us").map_err(corrupt)?,
            });
            n += 1;
        }
        Ok(n)
    }

    async fn case_attribute(
        &self,
        workspace: WorkspaceId,
        key: &str,
    ) -> StoreResult<Vec<(String, String)>> {
        sqlx::query_as::<_, (String, String)>(
            "SELECT DISTINCT ON (case_id COLLATE \"C\") case_id, attrs ->> $2 AS value \
             FROM events \
             WHERE workspace_id = $1 \
               AND jsonb_typeof(attrs -> $2) IN ('string', 'number', 'boolean') \
             ORDER BY case_id COLLATE \"C\", ts, seq",
        )
        .bind(workspace.as_uuid())
        .bind(key)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)
    }

    async fn attribute_key_counts(
        &self,
        workspace: WorkspaceId,
        limit: u32,
    ) -> StoreResult<Vec<(String, u64)>> {
        let rows = sqlx::query_as::<_, (String, i64)>(
            "SELECT a.key, count(*) AS n FROM events e, jsonb_each(e.attrs) a \
             WHERE e.workspace_id = $1 AND jsonb_typeof(a.value) IN ('string', 'number', 'boolean') \
             GROUP BY a.key ORDER BY n DESC, a.key COLLATE \"C\" LIMIT $2",
        )
        .bind(workspace.as_uuid())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows
            .into_iter()
            .map(|(k, n)| (k, n.max(0) as u64))
            .collect())
    }

    async fn event_name_counts(&self, workspace: WorkspaceId) -> StoreResult<Vec<(String, u64)>> {
        let rows = sqlx::query(
            "SELECT activity, count(*) AS n FROM events WHERE workspace_id = $1 \
             GROUP BY activity ORDER BY activity COLLATE \"C\"",
        )
        .bind(workspace.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("activity").map_err(corrupt)?,
                    r.try_get::<i64, _>("n").map_err(corrupt)?.max(0) as u64,
                ))
            })
            .collect()
    }

    async fn add_mapping_rule(&self, rule: &MappingRule) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO event_mapping_rules (id, journey_id, kind, pattern, touchpoint_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(rule.id.as_uuid())
        .bind(rule.journey_id.as_uuid())
        .bind(rule.kind.as_str())
        .bind(&rule.pattern)
        .bind(rule.touchpoint_id.as_uuid())
        .bind(rule.created_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match map_err(e) {
            StoreError::NotFound { .. } => StoreError::not_found("journey", rule.journey_id),
            other => other,
        })?;
        Ok(())
    }

    async fn mapping_rule(&self, id: MappingRuleId) -> StoreResult<MappingRule> {
        let row = sqlx::query(
            "SELECT id, journey_id, kind, pattern, touchpoint_id, created_at \
             FROM event_mapping_rules WHERE id = $1",
        )
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?
        .ok_or_else(|| StoreError::not_found("mapping rule", id))?;
        rule_from_row(&row)
    }

    async fn mapping_rules(&self, journey: JourneyId) -> StoreResult<Vec<MappingRule>> {
        sqlx::query(
            "SELECT id, journey_id, kind, pattern, touchpoint_id, created_at \
             FROM event_mapping_rules WHERE journey_id = $1 ORDER BY created_at, id",
        )
        .bind(journey.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(rule_from_row)
        .collect()
    }

    async fn update_mapping_rule(&self, rule: &MappingRule) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE event_mapping_rules SET kind = $2, pattern = $3, touchpoint_id = $4 WHERE id = $1",
        )
        .bind(rule.id.as_uuid())
        .bind(rule.kind.as_str())
        .bind(&rule.pattern)
        .bind(rule.touchpoint_id.as_uuid())
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("mapping rule", rule.id));
        }
        Ok(())
    }

    async fn delete_mapping_rule(&self, id: MappingRuleId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM event_mapping_rules WHERE id = $1")
            .bind(id.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("mapping rule", id));
        }
        Ok(())
    }
}
