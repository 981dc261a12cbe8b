//! Role checks. Every handler that touches a workspace's data goes through one of these, so
//! no route can forget to check. Non-members get 404, not 403, so ids do not leak.

use cxmap_domain::{Journey, JourneyId, Project, ProjectId, Role, WorkspaceId};
use cxmap_store::User;

use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// The caller's role in `workspace`, which must be at least `needed`.
pub async fn workspace(
    state: &AppState,
    user: &User,
    workspace: WorkspaceId,
    needed: Role,
) -> ApiResult<Role> {
    let role = state
        .store
        .role(workspace, user.id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("workspace {workspace} not found")))?;
    if role.allows(needed) {
        Ok(role)
    } else {
        Err(ApiError::forbidden(format!(
            "this needs the {needed} role; you are {role}"
        )))
    }
}

/// A project the caller may act on with `needed`.
pub async fn project(
    state: &AppState,
    user: &User,
    id: ProjectId,
    needed: Role,
) -> ApiResult<Project> {
    let project = state.store.project(id).await?;
    workspace(state, user, project.workspace_id, needed)
        .await
        .map_err(|e| {
            if e.code == "not_found" {
                ApiError::not_found(format!("project {id} not found"))
            } else {
                e
            }
        })?;
    Ok(project)
}

/// A journey the caller may act on with `needed`, with the caller's role: their workspace
/// role, or else the strongest role a live share link granted them on this journey.
pub async fn journey(
    state: &AppState,
    user: &User,
    id: JourneyId,
    needed: Role,
) -> ApiResult<(Journey, Role)> {
    let journey = state.store.journey(id).await?;
    let role = journey_role(state, user, &journey).await?;
    let Some(role) = role else {
        return Err(ApiError::not_found(format!("journey {id} not found")));
    };
    if role.allows(needed) {
        Ok((journey, role))
    } else {
        Err(ApiError::forbidden(format!(
            "this needs the {needed} role; you are {role}"
        )))
    }
}

/// The caller's role on a journey, if they have any.
pub async fn journey_role(
    state: &AppState,
    user: &User,
    journey: &Journey,
) -> ApiResult<Option<Role>> {
    let project = state.store.project(journey.project_id).await?;
    let member = state.store.role(project.workspace_id, user.id).await?;
    let shared = state
        .store
        .share_role(journey.id, user.id, cxmap_domain::now())
        .await?;
    Ok(member.max(shared))
}
