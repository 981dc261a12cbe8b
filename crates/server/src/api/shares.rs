//! Share links: a secret URL that grants viewer, commenter or editor on one journey.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use cxmap_domain::{Email, JourneyId, Role, ShareId, UserId};
use cxmap_store::{NewToken, Share, TokenHash, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::projects::{Me, me_of};
use crate::AppState;
use crate::access;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, Principal};
use crate::sessions;
use crate::surveys::public::ClientIp;

/// A new share link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShare {
    /// viewer, commenter or editor.
    role: Role,
    /// When it stops working (never when absent).
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
}

/// A share link; `token` and `url` only in the answer that created it.
#[derive(Serialize, ToSchema)]
pub struct ShareView {
    id: ShareId,
    role: Role,
    expires_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    revoked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

impl From<Share> for ShareView {
    fn from(s: Share) -> Self {
        Self {
            id: s.id,
            role: s.role,
            expires_at: s.expires_at,
            created_at: s.created_at,
            revoked: s.revoked_at.is_some(),
            token: None,
            url: None,
        }
    }
}

/// Creates a share link (owner).
#[utoipa::path(post, path = "/api/v1/journeys/{id}/shares", tag = "sharing",
    params(("id" = JourneyId, Path)), request_body = NewShare,
    responses((status = 201, body = ShareView), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_share(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    ApiJson(body): ApiJson<NewShare>,
) -> ApiResult<(StatusCode, Json<ShareView>)> {
    access::journey(&state, &user, id, Role::Owner).await?;
    if body.role == Role::Owner {
        return Err(ApiError::invalid_field(
            "role",
            "viewer, commenter or editor",
        ));
    }
    let now = cxmap_domain::now();
    if body.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::invalid_field(
            "expires_at",
            "must be in the future",
        ));
    }
    let secret = NewToken::generate();
    let share = Share {
        id: ShareId::new(),
        journey_id: id,
        role: body.role,
        token_hash: secret.hash,
        created_by: user.id,
        created_at: now,
        expires_at: body.expires_at,
        revoked_at: None,
    };
    state.store.create_share(&share).await?;
    let url = format!(
        "{}/app/share/{}",
        state.config.public_url.trim_end_matches('/'),
        secret.plaintext
    );
    Ok((
        StatusCode::CREATED,
        Json(ShareView {
            token: Some(secret.plaintext),
            url: Some(url),
            ..ShareView::from(share)
        }),
    ))
}

/// The share links of a journey (owner), newest first, without their secrets.
#[utoipa::path(get, path = "/api/v1/journeys/{id}/shares", tag = "sharing",
    params(("id" = JourneyId, Path)), responses((status = 200, body = Vec<ShareView>)))]
pub async fn list_shares(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
) -> ApiResult<Json<Vec<ShareView>>> {
    access::journey(&state, &user, id, Role::Owner).await?;
    let shares = state.store.shares(id).await?;
    Ok(Json(shares.into_iter().map(ShareView::from).collect()))
}

/// Revokes a share link (owner): it and every grant made through it stop working at once.
#[utoipa::path(delete, path = "/api/v1/journeys/{id}/shares/{share_id}", tag = "sharing",
    params(("id" = JourneyId, Path), ("share_id" = ShareId, Path)), responses((status = 204)))]
pub async fn revoke_share(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((id, share_id)): ApiPath<(JourneyId, ShareId)>,
) -> ApiResult<StatusCode> {
    access::journey(&state, &user, id, Role::Owner).await?;
    state
        .store
        .revoke_share(id, share_id, cxmap_domain::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who opens a share link.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Accept {
    /// A guest's display name.
    #[serde(default)]
    name: Option<String>,
}

/// What an opened share link gives.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    journey_id: JourneyId,
    role: Role,
    me: Me,
}

/// Opens a share link: the signed-in caller (or a new guest account, signed in) gets the
/// link's role on its journey.
#[utoipa::path(post, path = "/api/v1/shares/{token}/accept", tag = "sharing",
    params(("token" = String, Path)), request_body = Accept,
    responses((status = 200, body = Accepted), (status = 404, body = crate::api::ErrorBody)))]
pub async fn accept_share(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    caller: Option<Principal>,
    ApiPath(token): ApiPath<String>,
    body: axum::body::Bytes,
) -> ApiResult<impl IntoResponse> {
    let body: Accept = if body.iter().all(u8::is_ascii_whitespace) {
        Accept::default()
    } else {
        crate::extract::parse_json(&body)?
    };
    state.check_auth_rate(ip)?;
    let share = state
        .store
        .share_by_token(&TokenHash::of(&token))
        .await?
        .filter(|s| s.is_live(cxmap_domain::now()))
        .ok_or_else(|| ApiError::not_found("this share link is unknown, revoked or expired"))?;
    let (user, cookies) = match caller {
        Some(Principal(user)) => (user, None),
        None => {
            let name = body
                .name
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty() && n.chars().count() <= 100)
                .unwrap_or_else(|| "Guest".to_owned());
            let id = UserId::new();
            let guest = User {
                id,
                // A guest cannot sign in with a password; the address only has to be unique.
                email: Email::parse(format!(
                    "guest-{}@guests.cxmap.invalid",
                    id.as_uuid().simple()
                ))?,
                name,
                created_at: cxmap_domain::now(),
            };
            state.store.create_user(&guest, None).await?;
            let cookies = sessions::start(&state, guest.id).await?;
            (guest, Some(cookies))
        }
    };
    state.store.grant_share(share.id, user.id).await?;
    let journey = state.store.journey(share.journey_id).await?;
    let role = access::journey_role(&state, &user, &journey)
        .await?
        .unwrap_or(share.role);
    let answer = Json(Accepted {
        journey_id: share.journey_id,
        role,
        me: me_of(&state, user).await?,
    });
    Ok((cookies.unwrap_or_default(), answer))
}
