use async_trait::async_trait;
use cxmap_domain::{
    Comment, CommentId, Journey, JourneyId, Project, ProjectId, Version, WorkspaceId,
};
use cxmap_store::{JourneyStore, JourneySummary, StoreError, StoreResult};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{SqliteStore, from_doc, map_err, to_doc};

fn project_from_row(row: &SqliteRow) -> StoreResult<Project> {
    let get = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
    Ok(Project {
        id: ProjectId::from_uuid(row.try_get("id").map_err(get)?),
        workspace_id: WorkspaceId::from_uuid(row.try_get("workspace_id").map_err(get)?),
        name: cxmap_domain::Title::parse(row.try_get::<String, _>("name").map_err(get)?)?,
        description: cxmap_domain::Text::parse(
            row.try_get::<String, _>("description").map_err(get)?,
        )?,
        created_at: row.try_get("created_at").map_err(get)?,
    })
}

#[async_trait]
impl JourneyStore for SqliteStore {
    async fn create_project(&self, project: &Project) -> StoreResult<()> {
        sqlx::query("INSERT INTO projects (id, workspace_id, name, description, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(project.id.as_uuid())
            .bind(project.workspace_id.as_uuid())
            .bind(project.name.as_str())
            .bind(project.description.as_str())
            .bind(project.created_at)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn project(&self, id: ProjectId) -> StoreResult<Project> {
        let row = sqlx::query(
            "SELECT id, workspace_id, name, description, created_at FROM projects WHERE id = $1",
        )
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?
        .ok_or_else(|| StoreError::not_found("project", id))?;
        project_from_row(&row)
    }

    async fn projects(&self, workspace: WorkspaceId) -> StoreResult<Vec<Project>> {
        sqlx::query("SELECT id, workspace_id, name, description, created_at FROM projects WHERE workspace_id = $1 ORDER BY created_at, id")
            .bind(workspace.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?
            .iter()
            .map(project_from_row)
            .collect()
    }

    async fn update_project(&self, project: &Project) -> StoreResult<()> {
        let done = sqlx::query("UPDATE projects SET name = $2, description = $3 WHERE id = $1")
            .bind(project.id.as_uuid())
            .bind(project.name.as_str())
            .bind(project.description.as_str())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("project", project.id));
        }
        Ok(())
    }

    async fn delete_project(&self, id: ProjectId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM projects WHERE id = $1")
            .bind(id.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("project", id));
        }
        Ok(())
    }

    async fn create_journey(&self, journey: &Journey) -> StoreResult<()> {
        journey.validate()?;
        insert_journey(&self.pool, journey).await
    }

    async fn journey(&self, id: JourneyId) -> StoreResult<Journey> {
        let doc: String = sqlx::query_scalar("SELECT doc FROM journeys WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or_else(|| StoreError::not_found("journey", id))?;
        from_doc(&doc)
    }

    async fn journeys(&self, project: ProjectId) -> StoreResult<Vec<JourneySummary>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM journeys WHERE project_id = $1 ORDER BY updated_at DESC, id",
        )
        .bind(project.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        docs.iter()
            .map(|doc| from_doc::<Journey>(doc).map(|j| JourneySummary::from(&j)))
            .collect()
    }

    async fn replace_journey(&self, journey: &Journey, expected: Version) -> StoreResult<()> {
        journey.validate()?;
        let done = sqlx::query(
            "UPDATE journeys SET doc = $3, version = $4, updated_at = $5 WHERE id = $1 AND version = $2",
        )
        .bind(journey.id.as_uuid())
        .bind(expected.0)
        .bind(to_doc(journey)?)
        .bind(journey.version.0)
        .bind(journey.updated_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 1 {
            return Ok(());
        }
        let actual: Option<i64> = sqlx::query_scalar("SELECT version FROM journeys WHERE id = $1")
            .bind(journey.id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        match actual {
            None => Err(StoreError::not_found("journey", journey.id)),
            Some(actual) => Err(StoreError::VersionConflict {
                expected,
                actual: Version(actual),
            }),
        }
    }

    async fn delete_journey(&self, id: JourneyId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM journeys WHERE id = $1")
            .bind(id.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("journey", id));
        }
        Ok(())
    }

    async fn import_journey(
        &self,
        project: &Project,
        journey: &Journey,
        replace: bool,
    ) -> StoreResult<()> {
        journey.validate()?;
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query("INSERT INTO projects (id, workspace_id, name, description, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING")
            .bind(project.id.as_uuid())
            .bind(project.workspace_id.as_uuid())
            .bind(project.name.as_str())
            .bind(project.description.as_str())
            .bind(project.created_at)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        if replace {
            sqlx::query("DELETE FROM journeys WHERE id = $1")
                .bind(journey.id.as_uuid())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        insert_journey(&mut *tx, journey).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn add_comment(&self, comment: &Comment) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO comments (id, journey_id, doc, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(comment.id.as_uuid())
        .bind(comment.journey_id.as_uuid())
        .bind(to_doc(comment)?)
        .bind(comment.created_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn comments(&self, journey: JourneyId) -> StoreResult<Vec<Comment>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM comments WHERE journey_id = $1 ORDER BY created_at, id",
        )
        .bind(journey.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| from_doc(d)).collect()
    }

    async fn comment(&self, id: CommentId) -> StoreResult<Comment> {
        let doc: String = sqlx::query_scalar("SELECT doc FROM comments WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or_else(|| StoreError::not_found("comment", id))?;
        from_doc(&doc)
    }

    async fn update_comment(&self, comment: &Comment) -> StoreResult<()> {
        let done = sqlx::query("UPDATE comments SET doc = $2 WHERE id = $1")
            .bind(comment.id.as_uuid())
            .bind(to_doc(comment)?)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("comment", comment.id));
        }
        Ok(())
    }

    async fn delete_comment(&self, id: CommentId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM comments WHERE id = $1")
            .bind(id.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("comment", id));
        }
        Ok(())
    }
}

async fn insert_journey<'e, E: sqlx::SqliteExecutor<'e>>(
    executor: E,
    journey: &Journey,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO journeys (id, project_id, version, doc, updated_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(journey.id.as_uuid())
        .bind(journey.project_id.as_uuid())
        .bind(journey.version.0)
        .bind(to_doc(journey)?)
        .bind(journey.updated_at)
        .execute(executor)
        .await
        .map_err(|e| match map_err(e) {
            StoreError::AlreadyExists(_) => StoreError::AlreadyExists(format!("journey {} already exists", journey.id)),
            StoreError::NotFound { .. } => StoreError::not_found("project", journey.project_id),
            other => other,
        })?;
    Ok(())
}
