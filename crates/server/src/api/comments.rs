//! Comments on any element of a map (commenter and up).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use cxmap_domain::{Comment, CommentId, ElementRef, JourneyId, Role, Text};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::access;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, Principal};

/// A new comment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// The element it is about.
    target: ElementRef,
    /// The text (mentions as `@name`).
    body: Text,
}

/// A comment change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentChange {
    body: Option<Text>,
    resolved: Option<bool>,
}

/// The comments of a journey, oldest first.
#[utoipa::path(get, path = "/api/v1/journeys/{id}/comments", tag = "comments",
    params(("id" = JourneyId, Path)), responses((status = 200, body = Vec<Comment>)))]
pub async fn list_comments(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
) -> ApiResult<Json<Vec<Comment>>> {
    access::journey(&state, &user, id, Role::Viewer).await?;
    Ok(Json(state.store.comments(id).await?))
}

/// Comments on an element (commenter).
#[utoipa::path(post, path = "/api/v1/journeys/{id}/comments", tag = "comments",
    params(("id" = JourneyId, Path)), request_body = NewComment, responses((status = 201, body = Comment)))]
pub async fn add_comment(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    ApiJson(body): ApiJson<NewComment>,
) -> ApiResult<(StatusCode, Json<Comment>)> {
    let (journey, _) = access::journey(&state, &user, id, Role::Commenter).await?;
    if body.body.is_empty() {
        return Err(ApiError::invalid_field("body", "must not be empty"));
    }
    if !body.target.exists_on(&journey) {
        return Err(ApiError::invalid_field(
            "target",
            "no such element on this journey",
        ));
    }
    let comment = Comment {
        id: CommentId::new(),
        journey_id: id,
        target: body.target,
        author_id: Some(user.id),
        body: body.body,
        resolved: false,
        created_at: cxmap_domain::now(),
    };
    state.store.add_comment(&comment).await?;
    Ok((StatusCode::CREATED, Json(comment)))
}

async fn own_comment(
    state: &AppState,
    user: &cxmap_store::User,
    journey: JourneyId,
    id: CommentId,
) -> ApiResult<Comment> {
    let (_, role) = access::journey(state, user, journey, Role::Commenter).await?;
    let comment = state.store.comment(id).await?;
    if comment.journey_id != journey {
        return Err(ApiError::not_found(format!("comment {id} not found")));
    }
    if comment.author_id != Some(user.id) && !role.allows(Role::Editor) {
        return Err(ApiError::forbidden(
            "only the author or an editor can change this comment",
        ));
    }
    Ok(comment)
}

/// Edits or resolves a comment (its author, or an editor).
#[utoipa::path(patch, path = "/api/v1/journeys/{id}/comments/{comment_id}", tag = "comments",
    params(("id" = JourneyId, Path), ("comment_id" = CommentId, Path)), request_body = CommentChange, responses((status = 200, body = Comment)))]
pub async fn update_comment(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((id, comment_id)): ApiPath<(JourneyId, CommentId)>,
    ApiJson(body): ApiJson<CommentChange>,
) -> ApiResult<Json<Comment>> {
    let mut comment = own_comment(&state, &user, id, comment_id).await?;
    if let Some(text) = body.body {
        comment.body = text;
    }
    if let Some(resolved) = body.resolved {
        comment.resolved = resolved;
    }
    state.store.update_comment(&comment).await?;
    Ok(Json(comment))
}

/// Deletes a comment (its author, or an editor).
#[utoipa::path(delete, path = "/api/v1/journeys/{id}/comments/{comment_id}", tag = "comments",
    params(("id" = JourneyId, Path), ("comment_id" = CommentId, Path)), responses((status = 204)))]
pub async fn delete_comment(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((id, comment_id)): ApiPath<(JourneyId, CommentId)>,
) -> ApiResult<StatusCode> {
    own_comment(&state, &user, id, comment_id).await?;
    state.store.delete_comment(comment_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
