use async_trait::async_trait;
use chrono::Utc;
use cxmap_domain::{Email, Role, Title, UserId, Workspace, WorkspaceId};
use cxmap_store::{AccountStore, Member, StoreError, StoreResult, TokenHash, User};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{SqliteStore, map_err};

pub(crate) fn corrupt(e: impl ToString) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

pub(crate) fn user_from_row(row: &SqliteRow) -> StoreResult<User> {
    Ok(User {
        id: UserId::from_uuid(row.try_get("id").map_err(corrupt)?),
        email: Email::parse(row.try_get::<String, _>("email").map_err(corrupt)?)?,
        name: row.try_get("name").map_err(corrupt)?,
        created_at: row.try_get("created_at").map_err(corrupt)?,
    })
}

fn workspace_from_row(row: &SqliteRow) -> StoreResult<Workspace> {
    Ok(Workspace {
        id: WorkspaceId::from_uuid(row.try_get("id").map_err(corrupt)?),
        name: Title::parse(row.try_get::<String, _>("name").map_err(corrupt)?)?,
        created_at: row.try_get("created_at").map_err(corrupt)?,
    })
}

pub(crate) fn role_from_row(row: &SqliteRow) -> StoreResult<Role> {
    row.try_get::<String, _>("role")
        .map_err(corrupt)?
        .parse()
        .map_err(corrupt)
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_user(&self, user: &User, password_hash: Option<&str>) -> StoreResult<()> {
        sqlx::query("INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(user.id.as_uuid())
            .bind(user.email.as_str())
            .bind(&user.name)
            .bind(password_hash)
            .bind(user.created_at)
            .execute(&self.pool)
            .await
            .map_err(|e| match map_err(e) {
                StoreError::AlreadyExists(_) => StoreError::AlreadyExists(format!("a user with e-mail {} exists", user.email)),
                other => other,
            })?;
        Ok(())
    }

    async fn user(&self, id: UserId) -> StoreResult<User> {
        let row = sqlx::query("SELECT id, email, name, created_at FROM users WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or_else(|| StoreError::not_found("user", id))?;
        user_from_row(&row)
    }

    async fn user_by_email(&self, email: &Email) -> StoreResult<Option<User>> {
        sqlx::query("SELECT id, email, name, created_at FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn set_password(&self, id: UserId, password_hash: &str) -> StoreResult<()> {
        let done = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(password_hash)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("user", id));
        }
        Ok(())
    }

    async fn password_hash(&self, id: UserId) -> StoreResult<Option<String>> {
        let hash: Option<Option<String>> =
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        hash.ok_or_else(|| StoreError::not_found("user", id))
    }

    async fn count_users(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn create_workspace(&self, workspace: &Workspace, owner: UserId) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(workspace.id.as_uuid())
            .bind(workspace.name.as_str())
            .bind(workspace.created_at)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("INSERT INTO members (workspace_id, user_id, role) VALUES ($1, $2, 'owner')")
            .bind(workspace.id.as_uuid())
            .bind(owner.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn workspace(&self, id: WorkspaceId) -> StoreResult<Workspace> {
        let row = sqlx::query("SELECT id, name, created_at FROM workspaces WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or_else(|| StoreError::not_found("workspace", id))?;
        workspace_from_row(&row)
    }

    async fn workspaces_of(&self, user: UserId) -> StoreResult<Vec<(Workspace, Role)>> {
        sqlx::query(
            "SELECT w.id, w.name, w.created_at, m.role FROM workspaces w JOIN members m ON m.workspace_id = w.id \
             WHERE m.user_id = $1 ORDER BY w.created_at, w.id",
        )
        .bind(user.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(|row| Ok((workspace_from_row(row)?, role_from_row(row)?)))
        .collect()
    }

    async fn role(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<Option<Role>> {
        sqlx::query("SELECT role FROM members WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace.as_uuid())
            .bind(user.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .as_ref()
            .map(role_from_row)
            .transpose()
    }

    async fn set_member(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        role: Role,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO members (workspace_id, user_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(workspace.as_uuid())
        .bind(user.as_uuid())
        .bind(role.as_str())
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn remove_member(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<()> {
        sqlx::query("DELETE FROM members WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace.as_uuid())
            .bind(user.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn members(&self, workspace: WorkspaceId) -> StoreResult<Vec<Member>> {
        sqlx::query(
            "SELECT u.id, u.email, u.name, u.created_at, m.role FROM members m JOIN users u ON u.id = m.user_id \
             WHERE m.workspace_id = $1 ORDER BY u.created_at, u.id",
        )
        .bind(workspace.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(|row| Ok(Member { user: user_from_row(row)?, role: role_from_row(row)? }))
        .collect()
    }

    async fn add_token(&self, user: UserId, label: &str, hash: &TokenHash) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_tokens (hash, user_id, label, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&hash.0)
        .bind(user.as_uuid())
        .bind(label)
        .bind(Utc::now())
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn user_by_token(&self, hash: &TokenHash) -> StoreResult<Option<User>> {
        sqlx::query(
            "SELECT u.id, u.email, u.name, u.created_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(&hash.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }

    async fn revoke_token(&self, hash: &TokenHash) -> StoreResult<()> {
        sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE hash = $1 AND revoked_at IS NULL")
            .bind(&hash.0)
            .bind(Utc::now())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
