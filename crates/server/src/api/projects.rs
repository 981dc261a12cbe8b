//! Who am I, workspaces and projects.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Json, response::IntoResponse};
use cxmap_domain::{Project, ProjectId, Role, Text, Title, WorkspaceId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::access;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Principal};

/// The caller and their workspaces.
#[derive(Serialize, ToSchema)]
pub struct Me {
    id: cxmap_domain::UserId,
    email: String,
    name: String,
    workspaces: Vec<WorkspaceRole>,
}

/// A workspace and the caller's role in it.
#[derive(Serialize, ToSchema)]
pub struct WorkspaceRole {
    id: WorkspaceId,
    name: Title,
    role: Role,
}

/// The authenticated user and their workspaces.
#[utoipa::path(get, path = "/api/v1/me", tag = "workspaces", responses((status = 200, body = Me)))]
pub async fn me(State(state): State<AppState>, Principal(user): Principal) -> ApiResult<Json<Me>> {
    Ok(Json(me_of(&state, user).await?))
}

/// The `Me` answer for `user`.
pub(crate) async fn me_of(state: &AppState, user: cxmap_store::User) -> ApiResult<Me> {
    let workspaces = state
        .store
        .workspaces_of(user.id)
        .await?
        .into_iter()
        .map(|(w, role)| WorkspaceRole {
            id: w.id,
            name: w.name,
            role,
        })
        .collect();
    Ok(Me {
        id: user.id,
        email: user.email.to_string(),
        name: user.name,
        workspaces,
    })
}

/// A new project.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    name: Title,
    #[serde(default)]
    description: Text,
}

/// A project change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectChange {
    name: Option<Title>,
    description: Option<Text>,
}

/// The projects of a workspace.
#[utoipa::path(get, path = "/api/v1/workspaces/{id}/projects", tag = "workspaces",
    params(("id" = WorkspaceId, Path)), responses((status = 200, body = Vec<Project>)))]
pub async fn list_projects(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<WorkspaceId>,
) -> ApiResult<Json<Vec<Project>>> {
    access::workspace(&state, &user, id, Role::Viewer).await?;
    Ok(Json(state.store.projects(id).await?))
}

/// Creates a project (editor).
#[utoipa::path(post, path = "/api/v1/workspaces/{id}/projects", tag = "workspaces",
    params(("id" = WorkspaceId, Path)), request_body = NewProject, responses((status = 201, body = Project)))]
pub async fn create_project(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<WorkspaceId>,
    ApiJson(body): ApiJson<NewProject>,
) -> ApiResult<impl IntoResponse> {
    access::workspace(&state, &user, id, Role::Editor).await?;
    let project = Project {
        id: ProjectId::new(),
        workspace_id: id,
        name: body.name,
        description: body.description,
        created_at: cxmap_domain::now(),
    };
    state.store.create_project(&project).await?;
    Ok((StatusCode::CREATED, Json(project)))
}

/// A project.
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects",
    params(("id" = ProjectId, Path)), responses((status = 200, body = Project)))]
pub async fn get_project(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<ProjectId>,
) -> ApiResult<Json<Project>> {
    Ok(Json(
        access::project(&state, &user, id, Role::Viewer).await?,
    ))
}

/// Renames or re-describes a project (editor).
#[utoipa::path(patch, path = "/api/v1/projects/{id}", tag = "projects",
    params(("id" = ProjectId, Path)), request_body = ProjectChange, responses((status = 200, body = Project)))]
pub async fn update_project(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<ProjectId>,
    ApiJson(body): ApiJson<ProjectChange>,
) -> ApiResult<Json<Project>> {
    let mut project = access::project(&state, &user, id, Role::Editor).await?;
    if let Some(name) = body.name {
        project.name = name;
    }
    if let Some(description) = body.description {
        project.description = description;
    }
    state.store.update_project(&project).await?;
    Ok(Json(project))
}

/// Deletes a project and its journeys (owner).
#[utoipa::path(delete, path = "/api/v1/projects/{id}", tag = "projects",
    params(("id" = ProjectId, Path)), responses((status = 204)))]
pub async fn delete_project(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<ProjectId>,
) -> ApiResult<StatusCode> {
    access::project(&state, &user, id, Role::Owner).await?;
    state.store.delete_project(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
