//! Events, batch idempotency keys and mapping rules in SQLite.
//!
//! Ingest speed comes from three things: one transaction per batch (one WAL fsync), multi-row
//! `INSERT`s of [`CHUNK`] rows with anonymous parameters, whose SQL text is built once (so
//! SQLite's statement cache reuses the prepared statement), and one event writer at a time inside the process (an async mutex),
//! so concurrent batches queue without SQLite's sleeping busy handler.

use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cxmap_domain::{JourneyId, MappingRule, MappingRuleId, MatchKind, TouchpointId, WorkspaceId};
use cxmap_store::{
    BatchKey, BatchReceipt, EventImport, EventStore, NewEvent, StoreError, StoreResult, StoredEvent,
};
use futures::TryStreamExt;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};
use tokio::sync::OwnedMutexGuard;

use crate::{SqliteStore, map_err};

/// Rows per multi-row INSERT: 5 × 256 parameters, well under SQLite's limit.
const CHUNK: usize = 256;
/// The remainder is written in statements of this many rows, then one row at a time.
const SMALL_CHUNK: usize = 16;

/// `INSERT … VALUES (?, ?, ?, ?, ?), (?, …)`.
///
/// The parameters are anonymous (`?`), the workspace bound again on every row: sqlx asks
/// SQLite for each parameter's name while binding, and for numbered parameters (`?17`) SQLite
/// finds the name by scanning all of them, which made binding a 256-row statement quadratic
/// (1,025 × 1,025 steps; most of the ingest CPU time in a profile). Anonymous parameters have
/// no name to scan for.
fn insert_sql(rows: usize) -> String {
    let mut sql =
        String::from("INSERT INTO events (workspace_id, case_id, activity, ts, attrs) VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str("(?, ?, ?, ?, ?)");
    }
    sql
}

static INSERT_CHUNK: LazyLock<String> = LazyLock::new(|| insert_sql(CHUNK));
static INSERT_SMALL: LazyLock<String> = LazyLock::new(|| insert_sql(SMALL_CHUNK));
static INSERT_ONE: LazyLock<String> = LazyLock::new(|| insert_sql(1));

/// The whole batch in one statement: the events travel as one JSON array of
/// `[case_id, activity, ts_us, attributes_text]` and SQLite's `json_each` unpacks them, in
/// array order (`ORDER BY key` keeps the stored order, which breaks timestamp ties). Two bound
/// values instead of five per event: binding through sqlx (an owned copy and a name lookup per
/// value, one round trip per statement) cost more than SQLite's own JSON parsing.
const INSERT_JSON: &str = "INSERT INTO events (workspace_id, case_id, activity, ts, attrs) \
     SELECT ?, value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?) ORDER BY key";

/// The batch as the JSON array [`INSERT_JSON`] reads, or `None` when a text holds a NUL
/// character, which SQLite's JSON functions do not hand back whole (those batches are bound
/// value by value instead).
fn events_json(events: &[NewEvent<'_>]) -> Option<String> {
    let has_nul = |s: &str| s.as_bytes().contains(&0);
    let mut out = Vec::with_capacity(events.len() * 96 + 2);
    out.push(b'[');
    for (i, e) in events.iter().enumerate() {
        if has_nul(e.case_id) || has_nul(e.activity) || e.attributes.is_some_and(has_nul) {
            return None;
        }
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, &(e.case_id, e.activity, e.ts_us, e.attributes)).ok()?;
    }
    out.push(b']');
    String::from_utf8(out).ok()
}

async fn insert_events(
    tx: &mut Transaction<'static, Sqlite>,
    workspace: WorkspaceId,
    events: &[NewEvent<'_>],
) -> StoreResult<()> {
    if events.len() >= SMALL_CHUNK
        && let Some(json) = events_json(events)
    {
        let done = sqlx::query(INSERT_JSON)
            .bind(workspace.as_uuid())
            .bind(json)
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
        if done.rows_affected() != events.len() as u64 {
            return Err(StoreError::Other(format!(
                "stored {} of {} events",
                done.rows_affected(),
                events.len()
            )));
        }
        return Ok(());
    }
    let mut rest = events;
    while !rest.is_empty() {
        let (sql, n): (&'static str, usize) = if rest.len() >= CHUNK {
            (INSERT_CHUNK.as_str(), CHUNK)
        } else if rest.len() >= SMALL_CHUNK {
            (INSERT_SMALL.as_str(), SMALL_CHUNK)
        } else {
            (INSERT_ONE.as_str(), 1)
        };
        let (now, later) = rest.split_at(n);
        let mut query = sqlx::query(sql);
        for e in now {
            query = query
                .bind(workspace.as_uuid())
                .bind(e.case_id)
                .bind(e.activity)
                .bind(e.ts_us)
                .bind(e.attributes);
        }
        query.execute(&mut **tx).await.map_err(map_err)?;
        rest = later;
    }
    Ok(())
}

struct SqliteImport {
    tx: Transaction<'static, Sqlite>,
    workspace: WorkspaceId,
    events: u64,
    _writer: OwnedMutexGuard<()>,
}

#[async_trait]
impl EventImport for SqliteImport {
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

fn rule_from_row(row: &SqliteRow) -> StoreResult<MappingRule> {
    let get = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
    Ok(MappingRule {
        id: MappingRuleId::from_uuid(row.try_get("id").map_err(get)?),
        journey_id: JourneyId::from_uuid(row.try_get("journey_id").map_err(get)?),
        kind: MatchKind::parse(row.try_get::<&str, _>("kind").map_err(get)?)?,
        pattern: row.try_get("pattern").map_err(get)?,
        touchpoint_id: TouchpointId::from_uuid(row.try_get("touchpoint_id").map_err(get)?),
        created_at: row.try_get("created_at").map_err(get)?,
    })
}

impl SqliteStore {
    /// A write transaction that holds the write lock from its first statement (`BEGIN
    /// IMMEDIATE`), so it can never fail half-way on a lock upgrade.
    async fn begin_write(
        &self,
    ) -> StoreResult<(Transaction<'static, Sqlite>, OwnedMutexGuard<()>)> {
        let writer = self.event_writer.clone().lock_owned().await;
        let tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(map_err)?;
        Ok((tx, writer))
    }
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn append_events(
        &self,
        workspace: WorkspaceId,
        key: Option<BatchKey<'_>>,
        events: &[NewEvent<'_>],
        now: DateTime<Utc>,
    ) -> StoreResult<BatchReceipt> {
        let (mut tx, _writer) = self.begin_write().await?;
        if let Some(key) = key {
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
            .map_err(map_err)?;
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
                let get = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
                return Ok(BatchReceipt {
                    events: row.try_get::<i64, _>("events").map_err(get)?.max(0) as u64,
                    received_at: row.try_get("received_at").map_err(get)?,
                    fingerprint: row.try_get("fingerprint").map_err(get)?,
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
        let (tx, writer) = self.begin_write().await?;
        Ok(Box::new(SqliteImport {
            tx,
            workspace,
            events: 0,
            _writer: writer,
        }))
    }

    async fn scan_events(
        &self,
        workspace: WorkspaceId,
        visit: &mut (dyn for<'e> FnMut(StoredEvent<'e>) + Send),
    ) -> StoreResult<u64> {
        let mut rows = sqlx::query(
            "SELECT case_id, activity, ts FROM events WHERE workspace_id = $1 ORDER BY seq",
        )
        .bind(workspace.as_uuid())
        .fetch(&self.pool);
        let mut n = 0u64;
        let get = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
        while let Some(row) = rows.try_next().await.map_err(map_err)? {
            visit(StoredEvent {
                case_id: row.try_get("case_id").map_err(get)?,
                activity: row.try_get("activity").map_err(get)?,
                ts_us: row.try_get("ts").map_err(get)?,
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
        // `json_each` takes the key as a bound value, so no key needs quoting into a JSON path.
        sqlx::query_as::<_, (String, String)>(
            "SELECT case_id, value FROM ( \
               SELECT e.case_id, \
                 CASE a.type WHEN 'text' THEN a.value WHEN 'true' THEN 'true' \
                   WHEN 'false' THEN 'false' ELSE CAST(a.value AS TEXT) END AS value, \
                 ROW_NUMBER() OVER (PARTITION BY e.case_id ORDER BY e.ts, e.seq) AS nth \
               FROM events e, json_each(e.attrs) a \
               WHERE e.workspace_id = $1 AND a.key = $2 \
                 AND a.type IN ('text', 'integer', 'real', 'true', 'false')) \
             WHERE nth = 1 ORDER BY case_id",
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
            "SELECT a.key, count(*) AS n FROM events e, json_each(e.attrs) a \
             WHERE e.workspace_id = $1 AND a.type IN ('text', 'integer', 'real', 'true', 'false') \
             GROUP BY a.key ORDER BY n DESC, a.key LIMIT $2",
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
             GROUP BY activity ORDER BY activity",
        )
        .bind(workspace.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let get = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("activity").map_err(get)?,
                    r.try_get::<i64, _>("n").map_err(get)?.max(0) as u64,
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
