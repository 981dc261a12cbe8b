use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use cxmap_domain::{JourneyId, LinkId, Slug, TouchpointId, UserId, WorkspaceId};
use cxmap_store::{
    Click, ClickCount, ClickScope, ClickSource, Link, LinkStore, StoreError, StoreResult,
};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::{SqliteStore, from_doc, map_err, to_doc};

/// Columns of one click row, in bind order.
const CLICK_COLUMNS: usize = 11;
/// Clicks per INSERT statement: 11,264 parameters, under SQLite's limit of 32,766.
const MAX_CLICKS_PER_STATEMENT: usize = 1024;

/// `INSERT … SELECT … FROM (VALUES (…), …)` of `rows` clicks. The EXISTS guard skips clicks of
/// links deleted meanwhile (a replay must not fail forever on one of them); ON CONFLICT makes a
/// replayed click a no-op.
///
/// The parameters are anonymous (`?`): sqlx asks SQLite for every parameter's name while
/// binding, and for numbered ones (`?12`) SQLite finds the name by scanning all of them, which
/// is quadratic in a long statement. Anonymous ones have no name to scan for.
fn click_insert_sql(rows: usize) -> String {
    let mut sql = String::with_capacity(320 + rows * 36);
    sql.push_str(
        "INSERT INTO clicks (id, link_id, at, day, source, bot, device, browser, referrer_host, country, visitor) \
         SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, \
         v.column8, v.column9, v.column10, v.column11 FROM (VALUES ",
    );
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for col in 0..CLICK_COLUMNS {
            if col > 0 {
                sql.push_str(", ");
            }
            sql.push('?');
        }
        sql.push(')');
    }
    sql.push_str(
        ") AS v WHERE v.column1 IS NOT NULL \
         AND EXISTS (SELECT 1 FROM links WHERE links.id = v.column2) \
         ON CONFLICT (id) DO NOTHING",
    );
    sql
}

/// The click statements, for 1, 2, 4, … [`MAX_CLICKS_PER_STATEMENT`] rows.
static CLICK_INSERTS: LazyLock<Vec<(usize, String)>> = LazyLock::new(|| {
    std::iter::successors(Some(1usize), |n| Some(n * 2))
        .take_while(|n| *n <= MAX_CLICKS_PER_STATEMENT)
        .map(|rows| (rows, click_insert_sql(rows)))
        .collect()
});

/// One statement inserting `clicks` (at most [`MAX_CLICKS_PER_STATEMENT`]). Batch sizes vary
/// with load, so the statement has the next power-of-two number of rows (a dozen statements,
/// each prepared once and cached) and the rows beyond the batch are left unbound: NULL, and
/// skipped by the statement's `v.column1 IS NOT NULL`.
async fn insert_clicks<'c, E>(executor: E, clicks: &[Click]) -> StoreResult<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Sqlite>,
{
    let sql = CLICK_INSERTS
        .iter()
        .find(|(rows, _)| *rows >= clicks.len())
        .map(|(_, sql)| sql.as_str())
        .ok_or_else(|| StoreError::Other(format!("{} clicks in one statement", clicks.len())))?;
    let mut query = sqlx::query(sql);
    for click in clicks {
        query = query
            .bind(click.id)
            .bind(click.link_id.as_uuid())
            .bind(click.at)
            .bind(click.at.date_naive())
            .bind(click.source.as_str())
            .bind(click.bot)
            .bind(&click.device)
            .bind(&click.browser)
            .bind(&click.referrer_host)
            .bind(&click.country)
            .bind(&click.visitor);
    }
    query.execute(executor).await.map_err(map_err)?;
    Ok(())
}

fn corrupt(e: impl ToString) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn link_from_row(row: &SqliteRow) -> StoreResult<Link> {
    let uuid = |name: &str| row.try_get::<Uuid, _>(name).map_err(corrupt);
    let opt_uuid = |name: &str| row.try_get::<Option<Uuid>, _>(name).map_err(corrupt);
    Ok(Link {
        id: LinkId::from_uuid(uuid("id")?),
        slug: Slug::parse(row.try_get::<String, _>("slug").map_err(corrupt)?)?,
        workspace_id: WorkspaceId::from_uuid(uuid("workspace_id")?),
        journey_id: opt_uuid("journey_id")?.map(JourneyId::from_uuid),
        touchpoint_id: opt_uuid("touchpoint_id")?.map(TouchpointId::from_uuid),
        target: row.try_get("target").map_err(corrupt)?,
        utm: from_doc(&row.try_get::<String, _>("utm").map_err(corrupt)?)?,
        password_hash: row.try_get("password_hash").map_err(corrupt)?,
        expires_at: row.try_get("expires_at").map_err(corrupt)?,
        disabled: row.try_get("disabled").map_err(corrupt)?,
        created_by: opt_uuid("created_by")?.map(UserId::from_uuid),
        created_at: row.try_get("created_at").map_err(corrupt)?,
        updated_at: row.try_get("updated_at").map_err(corrupt)?,
    })
}

fn count_from_row(row: &SqliteRow) -> StoreResult<ClickCount> {
    let source: String = row.try_get("source").map_err(corrupt)?;
    Ok(ClickCount {
        link_id: LinkId::from_uuid(row.try_get("link_id").map_err(corrupt)?),
        day: row.try_get::<NaiveDate, _>("day").map_err(corrupt)?,
        source: ClickSource::parse(&source).ok_or_else(|| corrupt(source))?,
        bot: row.try_get("bot").map_err(corrupt)?,
        device: row.try_get("device").map_err(corrupt)?,
        browser: row.try_get("browser").map_err(corrupt)?,
        referrer_host: row.try_get("referrer_host").map_err(corrupt)?,
        country: row.try_get("country").map_err(corrupt)?,
        count: row.try_get("n").map_err(corrupt)?,
    })
}

// `$2` is the lower time bound; NULL means "since the beginning". Timestamps are stored as
// RFC 3339 text in UTC by sqlx, so text comparison orders them.
const COUNTS_BY_LINK: &str = "SELECT link_id, day, source, bot, device, browser, referrer_host, country, count(*) AS n \
     FROM clicks WHERE link_id = $1 AND ($2 IS NULL OR at >= $2) \
     GROUP BY link_id, day, source, bot, device, browser, referrer_host, country";
const COUNTS_BY_JOURNEY: &str = "SELECT c.link_id, c.day, c.source, c.bot, c.device, c.browser, c.referrer_host, c.country, count(*) AS n \
     FROM clicks c JOIN links l ON l.id = c.link_id WHERE l.journey_id = $1 AND ($2 IS NULL OR c.at >= $2) \
     GROUP BY c.link_id, c.day, c.source, c.bot, c.device, c.browser, c.referrer_host, c.country";
const UNIQUE_BY_LINK: &str = "SELECT count(*) FROM (SELECT DISTINCT visitor, day FROM clicks \
     WHERE link_id = $1 AND NOT bot AND visitor IS NOT NULL AND ($2 IS NULL OR at >= $2))";
const UNIQUE_BY_JOURNEY: &str = "SELECT count(*) FROM (SELECT DISTINCT c.visitor, c.day FROM clicks c \
     JOIN links l ON l.id = c.link_id WHERE l.journey_id = $1 AND NOT c.bot AND c.visitor IS NOT NULL \
     AND ($2 IS NULL OR c.at >= $2))";

fn scope_parts(scope: ClickScope) -> (Uuid, bool) {
    match scope {
        ClickScope::Link(id) => (id.as_uuid(), true),
        ClickScope::Journey(id) => (id.as_uuid(), false),
    }
}

#[async_trait]
impl LinkStore for SqliteStore {
    async fn create_link(&self, link: &Link) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO links (id, slug, workspace_id, journey_id, touchpoint_id, target, utm, \
             password_hash, expires_at, disabled, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(link.id.as_uuid())
        .bind(link.slug.as_str())
        .bind(link.workspace_id.as_uuid())
        .bind(link.journey_id.map(|j| j.as_uuid()))
        .bind(link.touchpoint_id.map(|t| t.as_uuid()))
        .bind(&link.target)
        .bind(to_doc(&link.utm)?)
        .bind(&link.password_hash)
        .bind(link.expires_at)
        .bind(link.disabled)
        .bind(link.created_by.map(|u| u.as_uuid()))
        .bind(link.created_at)
        .bind(link.updated_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match map_err(e) {
            StoreError::AlreadyExists(_) => {
                StoreError::AlreadyExists(format!("the slug {} is taken", link.slug))
            }
            other => other,
        })?;
        Ok(())
    }

    async fn link_by_slug(&self, slug: &Slug) -> StoreResult<Link> {
        let row = sqlx::query(
            "SELECT id, slug, workspace_id, journey_id, touchpoint_id, target, utm, password_hash, \
             expires_at, disabled, created_by, created_at, updated_at FROM links WHERE slug = $1",
        )
        .bind(slug.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?
        .ok_or_else(|| StoreError::not_found("link", slug))?;
        link_from_row(&row)
    }

    async fn links(&self, workspace: WorkspaceId) -> StoreResult<Vec<Link>> {
        sqlx::query(
            "SELECT id, slug, workspace_id, journey_id, touchpoint_id, target, utm, password_hash, \
             expires_at, disabled, created_by, created_at, updated_at FROM links \
             WHERE workspace_id = $1 ORDER BY created_at, id",
        )
        .bind(workspace.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(link_from_row)
        .collect()
    }

    async fn journey_links(&self, journey: JourneyId) -> StoreResult<Vec<Link>> {
        sqlx::query(
            "SELECT id, slug, workspace_id, journey_id, touchpoint_id, target, utm, password_hash, \
             expires_at, disabled, created_by, created_at, updated_at FROM links \
             WHERE journey_id = $1 ORDER BY created_at, id",
        )
        .bind(journey.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(link_from_row)
        .collect()
    }

    async fn update_link(&self, link: &Link) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE links SET journey_id = $2, touchpoint_id = $3, target = $4, utm = $5, \
             password_hash = $6, expires_at = $7, disabled = $8, updated_at = $9 WHERE id = $1",
        )
        .bind(link.id.as_uuid())
        .bind(link.journey_id.map(|j| j.as_uuid()))
        .bind(link.touchpoint_id.map(|t| t.as_uuid()))
        .bind(&link.target)
        .bind(to_doc(&link.utm)?)
        .bind(&link.password_hash)
        .bind(link.expires_at)
        .bind(link.disabled)
        .bind(link.updated_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("link", &link.slug));
        }
        Ok(())
    }

    async fn record_clicks(&self, clicks: &[Click]) -> StoreResult<()> {
        if clicks.is_empty() {
            return Ok(());
        }
        // A redirect batch (up to 1,024 clicks) is ONE multi-row statement in autocommit mode:
        // a single statement is its own atomic, durable (synchronous=FULL) transaction, so the
        // batch costs one round trip to the connection's worker thread and one WAL fsync, not
        // BEGIN + one statement per click + COMMIT. On a busy machine those round trips, not
        // SQLite, bounded the redirect rate. Larger replays are cut into such statements inside
        // one transaction.
        if clicks.len() <= MAX_CLICKS_PER_STATEMENT {
            return insert_clicks(&self.pool, clicks).await;
        }
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        for chunk in clicks.chunks(MAX_CLICKS_PER_STATEMENT) {
            insert_clicks(&mut *tx, chunk).await?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn click_counts(
        &self,
        scope: ClickScope,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<ClickCount>> {
        let (id, by_link) = scope_parts(scope);
        let sql = if by_link {
            COUNTS_BY_LINK
        } else {
            COUNTS_BY_JOURNEY
        };
        sqlx::query(sql)
            .bind(id)
            .bind(since)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?
            .iter()
            .map(count_from_row)
            .collect()
    }

    async fn unique_visitors(
        &self,
        scope: ClickScope,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<i64> {
        let (id, by_link) = scope_parts(scope);
        let sql = if by_link {
            UNIQUE_BY_LINK
        } else {
            UNIQUE_BY_JOURNEY
        };
        sqlx::query_scalar(sql)
            .bind(id)
            .bind(since)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn visitor_salt(&self, day: NaiveDate, fresh: &[u8]) -> StoreResult<Vec<u8>> {
        sqlx::query(
            "INSERT INTO visitor_salts (day, salt) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING",
        )
        .bind(day)
        .bind(fresh)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        sqlx::query_scalar("SELECT salt FROM visitor_salts WHERE day = $1")
            .bind(day)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)
    }
}
