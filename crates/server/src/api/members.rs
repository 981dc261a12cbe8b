//! Workspace members and their roles (owners manage them).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use cxmap_domain::{Email, Role, UserId, WorkspaceId};
use cxmap_store::{Member, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::access;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, Principal};

/// A member as the API shows them.
#[derive(Serialize, ToSchema)]
pub struct MemberView {
    user: UserView,
    role: Role,
}

/// A user's public face.
#[derive(Serialize, ToSchema)]
pub struct UserView {
    id: UserId,
    email: String,
    name: String,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        Self {
            user: UserView {
                id: m.user.id,
                email: m.user.email.to_string(),
                name: m.user.name,
            },
            role: m.role,
        }
    }
}

/// An invitation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Invite {
    email: Email,
    role: Role,
    /// The display name for a new account (the part before `@` when absent).
    #[serde(default)]
    name: Option<String>,
}

/// A role change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    role: Role,
}

/// The members of a workspace (any member).
#[utoipa::path(get, path = "/api/v1/workspaces/{id}/members", tag = "workspaces",
    params(("id" = WorkspaceId, Path)), responses((status = 200, body = Vec<MemberView>)))]
pub async fn list_members(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<WorkspaceId>,
) -> ApiResult<Json<Vec<MemberView>>> {
    access::workspace(&state, &user, id, Role::Viewer).await?;
    let members = state.store.members(id).await?;
    Ok(Json(members.into_iter().map(MemberView::from).collect()))
}

/// Adds a member by e-mail (owner); an unknown address gets an account without a password,
/// which its owner claims by signing up.
#[utoipa::path(post, path = "/api/v1/workspaces/{id}/members", tag = "workspaces",
    params(("id" = WorkspaceId, Path)), request_body = Invite,
    responses((status = 201, body = MemberView), (status = 403, body = crate::api::ErrorBody)))]
pub async fn add_member(
    State(state): State<AppState>,
    Principal(caller): Principal,
    ApiPath(id): ApiPath<WorkspaceId>,
    ApiJson(body): ApiJson<Invite>,
) -> ApiResult<(StatusCode, Json<MemberView>)> {
    access::workspace(&state, &caller, id, Role::Owner).await?;
    let user = match state.store.user_by_email(&body.email).await? {
        Some(user) => user,
        None => {
            let email = body.email.to_string();
            let default_name = email.split('@').next().unwrap_or(&email).to_owned();
            let user = User {
                id: UserId::new(),
                email: body.email,
                name: body
                    .name
                    .map(|n| n.trim().to_owned())
                    .filter(|n| !n.is_empty() && n.chars().count() <= 100)
                    .unwrap_or(default_name),
                created_at: cxmap_domain::now(),
            };
            state.store.create_user(&user, None).await?;
            user
        }
    };
    state.store.set_member(id, user.id, body.role).await?;
    Ok((
        StatusCode::CREATED,
        Json(MemberView::from(Member {
            user,
            role: body.role,
        })),
    ))
}

/// Changes a member's role (owner); the last owner cannot step down.
#[utoipa::path(patch, path = "/api/v1/workspaces/{id}/members/{user_id}", tag = "workspaces",
    params(("id" = WorkspaceId, Path), ("user_id" = UserId, Path)), request_body = RoleChange,
    responses((status = 200, body = MemberView), (status = 409, body = crate::api::ErrorBody)))]
pub async fn update_member(
    State(state): State<AppState>,
    Principal(caller): Principal,
    ApiPath((id, user_id)): ApiPath<(WorkspaceId, UserId)>,
    ApiJson(body): ApiJson<RoleChange>,
) -> ApiResult<Json<MemberView>> {
    access::workspace(&state, &caller, id, Role::Owner).await?;
    let member = existing_member(&state, id, user_id).await?;
    if member.role == Role::Owner && body.role != Role::Owner {
        ensure_another_owner(&state, id, user_id).await?;
    }
    state.store.set_member(id, user_id, body.role).await?;
    Ok(Json(MemberView::from(Member {
        role: body.role,
        ..member
    })))
}

/// Removes a member (owner); the last owner cannot be removed.
#[utoipa::path(delete, path = "/api/v1/workspaces/{id}/members/{user_id}", tag = "workspaces",
    params(("id" = WorkspaceId, Path), ("user_id" = UserId, Path)),
    responses((status = 204), (status = 409, body = crate::api::ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    Principal(caller): Principal,
    ApiPath((id, user_id)): ApiPath<(WorkspaceId, UserId)>,
) -> ApiResult<StatusCode> {
    access::workspace(&state, &caller, id, Role::Owner).await?;
    let member = existing_member(&state, id, user_id).await?;
    if member.role == Role::Owner {
        ensure_another_owner(&state, id, user_id).await?;
    }
    state.store.remove_member(id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn existing_member(state: &AppState, id: WorkspaceId, user: UserId) -> ApiResult<Member> {
    state
        .store
        .members(id)
        .await?
        .into_iter()
        .find(|m| m.user.id == user)
        .ok_or_else(|| ApiError::not_found(format!("user {user} is not a member")))
}

async fn ensure_another_owner(state: &AppState, id: WorkspaceId, leaving: UserId) -> ApiResult<()> {
    let others = state
        .store
        .members(id)
        .await?
        .iter()
        .filter(|m| m.role == Role::Owner && m.user.id != leaving)
        .count();
    if others == 0 {
        Err(ApiError::last_owner())
    } else {
        Ok(())
    }
}
