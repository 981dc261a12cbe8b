//! Sign-up, sign-in and sign-out for browsers (sessions in `crate::sessions`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use cxmap_domain::Email;
use cxmap_store::User;
use serde::Deserialize;
use utoipa::ToSchema;

use super::projects::{Me, me_of};
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::passwords;
use crate::sessions;
use crate::surveys::public::ClientIp;

/// The shortest password accepted.
const MIN_PASSWORD: usize = 8;
/// The longest password accepted (argon2 would take it, but nobody needs more).
const MAX_PASSWORD: usize = 1024;

/// A new account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUp {
    email: Email,
    name: String,
    password: String,
}

/// A sign-in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    email: Email,
    password: String,
}

/// Creates an account with its own workspace and signs the browser in.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", request_body = SignUp,
    responses((status = 201, body = Me), (status = 409, body = crate::api::ErrorBody),
        (status = 422, body = crate::api::ErrorBody), (status = 429, body = crate::api::ErrorBody)))]
pub async fn signup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<SignUp>,
) -> ApiResult<impl IntoResponse> {
    state.check_auth_rate(ip)?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid_field("name", "1 to 100 characters"));
    }
    let password_len = body.password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&password_len) {
        return Err(ApiError::invalid_field(
            "password",
            format!("{MIN_PASSWORD} to {MAX_PASSWORD} characters"),
        ));
    }
    let hash = hash_password(body.password).await?;
    let now = cxmap_domain::now();
    let user = match state.store.user_by_email(&body.email).await? {
        // An invited member (no password yet) claims the account by signing up.
        Some(existing) if state.store.password_hash(existing.id).await?.is_none() => {
            state.store.set_password(existing.id, &hash).await?;
            existing
        }
        Some(_) => return Err(ApiError::email_taken()),
        None => {
            let user = User {
                id: cxmap_domain::UserId::new(),
                email: body.email,
                name: name.to_owned(),
                created_at: now,
            };
            state
                .store
                .create_user(&user, Some(&hash))
                .await
                .map_err(|e| match e {
                    cxmap_store::StoreError::AlreadyExists(_) => ApiError::email_taken(),
                    other => other.into(),
                })?;
            user
        }
    };
    if state.store.workspaces_of(user.id).await?.is_empty() {
        cxmap_store::create_own_workspace(&*state.store, &user, now).await?;
    }
    let cookies = sessions::start(&state, user.id).await?;
    Ok((
        StatusCode::CREATED,
        cookies,
        Json(me_of(&state, user).await?),
    ))
}

/// Signs the browser in with an e-mail address and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = SignIn,
    responses((status = 200, body = Me), (status = 401, body = crate::api::ErrorBody),
        (status = 429, body = crate::api::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<SignIn>,
) -> ApiResult<impl IntoResponse> {
    state.check_auth_rate(ip)?;
    let user = state.store.user_by_email(&body.email).await?;
    let stored = match &user {
        Some(user) => state.store.password_hash(user.id).await?,
        None => None,
    };
    // Verify even for unknown accounts, so the answer time does not tell which exist.
    let stored_or_dummy = stored.clone().unwrap_or_else(|| DUMMY_HASH.clone());
    let password = body.password;
    let matches =
        tokio::task::spawn_blocking(move || passwords::verify(&password, &stored_or_dummy))
            .await
            .map_err(ApiError::internal)?;
    let (Some(user), Some(_), true) = (user, stored, matches) else {
        return Err(ApiError::invalid_credentials());
    };
    let cookies = sessions::start(&state, user.id).await?;
    Ok((cookies, Json(me_of(&state, user).await?)))
}

/// Signs the browser out.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    if let Some((session, _)) = sessions::current(&state, &headers).await? {
        sessions::check_csrf(&session, &headers)?;
    }
    let cookies = sessions::end(&state, &headers).await?;
    Ok((StatusCode::NO_CONTENT, cookies))
}

/// Under `cxmap demo` only: signs the browser in as the demo owner.
#[utoipa::path(post, path = "/api/v1/auth/demo", tag = "auth",
    responses((status = 200, body = Me), (status = 404, body = crate::api::ErrorBody)))]
pub async fn demo(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let Some(demo) = state.config.demo_user else {
        return Err(ApiError::not_found("no such route"));
    };
    let user = state.store.user(demo).await?;
    let cookies = sessions::start(&state, user.id).await?;
    Ok((cookies, Json(me_of(&state, user).await?)))
}

/// Hashes off the async threads: argon2 takes tens of milliseconds by design.
pub(crate) async fn hash_password(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || passwords::hash(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// A real argon2 hash, verified against when the account does not exist.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| passwords::hash("no account has this").unwrap_or_default());
