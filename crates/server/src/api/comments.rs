//! Comments on any element of a map (commenter and up).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use cxmap_domain::{Comment, CommentId, ElementRef, Journey, JourneyId, Role, Text, UserId};
use cxmap_store::Member;
use serde::{Deserialize, Serialize};
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

/// A comment with its author's name.
#[derive(Serialize, ToSchema)]
pub struct CommentView {
    #[serde(flatten)]
    comment: Comment,
    /// The author's display name, when known.
    author_name: Option<String>,
}

/// The comments of a journey, oldest first.
#[utoipa::path(get, path = "/api/v1/journeys/{id}/comments", tag = "comments",
    params(("id" = JourneyId, Path)), responses((status = 200, body = Vec<CommentView>)))]
pub async fn list_comments(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
) -> ApiResult<Json<Vec<CommentView>>> {
    let (journey, _) = access::journey(&state, &user, id, Role::Viewer).await?;
    let members = members_of(&state, &journey).await?;
    let comments = state.store.comments(id).await?;
    Ok(Json(
        comments.into_iter().map(|c| view(c, &members)).collect(),
    ))
}

/// The comments that mention the caller, newest first (at most 100).
#[utoipa::path(get, path = "/api/v1/me/mentions", tag = "comments",
    responses((status = 200, body = Vec<Comment>)))]
pub async fn my_mentions(
    State(state): State<AppState>,
    Principal(user): Principal,
) -> ApiResult<Json<Vec<Comment>>> {
    let mut visible = Vec::new();
    for comment in state.store.mentions_of(user.id, 100).await? {
        // Access may have ended since the mention was written.
        if access::journey(&state, &user, comment.journey_id, Role::Viewer)
            .await
            .is_ok()
        {
            visible.push(comment);
        }
    }
    Ok(Json(visible))
}

async fn members_of(state: &AppState, journey: &Journey) -> ApiResult<Vec<Member>> {
    let project = state.store.project(journey.project_id).await?;
    Ok(state.store.members(project.workspace_id).await?)
}

fn view(comment: Comment, members: &[Member]) -> CommentView {
    let author_name = members
        .iter()
        .find(|m| Some(m.user.id) == comment.author_id)
        .map(|m| m.user.name.clone());
    CommentView {
        comment,
        author_name,
    }
}

/// The members a comment names with `@name` (spaces removed), `@email` or `@local-part`.
fn mentioned(body: &str, members: &[Member]) -> Vec<UserId> {
    let mut found = Vec::new();
    for word in body.split('@').skip(1) {
        let handle: String = word
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ';' | ':' | '!' | '?' | ')'))
            .collect();
        let handle = handle.trim_end_matches('.').to_lowercase();
        if handle.is_empty() {
            continue;
        }
        let hit = members.iter().find(|m| {
            let email = m.user.email.to_string().to_lowercase();
            let name: String = m
                .user
                .name
                .split_whitespace()
                .collect::<String>()
                .to_lowercase();
            email == handle || email.split('@').next() == Some(handle.as_str()) || name == handle
        });
        if let Some(member) = hit
            && !found.contains(&member.user.id)
        {
            found.push(member.user.id);
        }
    }
    found
}

/// Comments on an element (commenter).
#[utoipa::path(post, path = "/api/v1/journeys/{id}/comments", tag = "comments",
    params(("id" = JourneyId, Path)), request_body = NewComment, responses((status = 201, body = CommentView)))]
pub async fn add_comment(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    ApiJson(body): ApiJson<NewComment>,
) -> ApiResult<(StatusCode, Json<CommentView>)> {
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
        resolved: false,
        mentions: Vec::new(),
        body: body.body,
        created_at: cxmap_domain::now(),
    };
    let members = members_of(&state, &journey).await?;
    let comment = Comment {
        mentions: mentioned(comment.body.as_str(), &members),
        ..comment
    };
    state.store.add_comment(&comment).await?;
    state.store.set_mentions(&comment).await?;
    Ok((StatusCode::CREATED, Json(view(comment, &members))))
}

async fn own_comment(
    state: &AppState,
    user: &cxmap_store::User,
    journey: JourneyId,
    id: CommentId,
) -> ApiResult<(Comment, Journey)> {
    let (journey, role) = access::journey(state, user, journey, Role::Commenter).await?;
    let comment = state.store.comment(id).await?;
    if comment.journey_id != journey.id {
        return Err(ApiError::not_found(format!("comment {id} not found")));
    }
    if comment.author_id != Some(user.id) && !role.allows(Role::Editor) {
        return Err(ApiError::forbidden(
            "only the author or an editor can change this comment",
        ));
    }
    Ok((comment, journey))
}

/// Edits or resolves a comment (its author, or an editor).
#[utoipa::path(patch, path = "/api/v1/journeys/{id}/comments/{comment_id}", tag = "comments",
    params(("id" = JourneyId, Path), ("comment_id" = CommentId, Path)), request_body = CommentChange, responses((status = 200, body = CommentView)))]
pub async fn update_comment(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((id, comment_id)): ApiPath<(JourneyId, CommentId)>,
    ApiJson(body): ApiJson<CommentChange>,
) -> ApiResult<Json<CommentView>> {
    let (mut comment, journey) = own_comment(&state, &user, id, comment_id).await?;
    let members = members_of(&state, &journey).await?;
    if let Some(text) = body.body {
        comment.mentions = mentioned(text.as_str(), &members);
        comment.body = text;
    }
    if let Some(resolved) = body.resolved {
        comment.resolved = resolved;
    }
    state.store.update_comment(&comment).await?;
    state.store.set_mentions(&comment).await?;
    Ok(Json(view(comment, &members)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use cxmap_domain::Email;
    use cxmap_store::User;

    fn member(email: &str, name: &str) -> Member {
        Member {
            user: User {
                id: UserId::new(),
                email: Email::parse(email).unwrap(),
                name: name.into(),
                created_at: cxmap_domain::now(),
            },
            role: Role::Editor,
        }
    }

    #[test]
    fn mentions_match_names_emails_and_local_parts_once() {
        let members = [
            member("kim@example.com", "김 민지"),
            member("lee@example.com", "Lee"),
        ];
        let ids = |body| mentioned(body, &members);
        assert_eq!(ids("@김민지 확인 부탁해요"), vec![members[0].user.id]);
        assert_eq!(
            ids("cc @lee@example.com, @kim."),
            vec![members[1].user.id, members[0].user.id]
        );
        assert_eq!(ids("@lee @LEE @nobody"), vec![members[1].user.id]);
        assert!(ids("no mention, just an e-mail: a@b").is_empty());
    }
}
