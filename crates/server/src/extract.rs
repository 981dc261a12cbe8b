//! Request extractors that turn every malformed request into a JSON [`ApiError`].

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, IF_MATCH};
use axum::http::request::Parts;
use cxmap_domain::Version;
use cxmap_store::{TokenHash, User};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// A JSON body whose errors name the offending field (422) or position (400).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                let mime = ct.split(';').next().unwrap_or_default().trim();
                mime == "application/json" || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::unsupported_media_type());
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| body_rejection(e, state.config.body_limit))?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON bytes, naming the field on a type error and the position on a syntax error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned();
        if inner.is_data() {
            ApiError::invalid_field(if path == "." { String::new() } else { path }, message)
        } else {
            ApiError::bad_request(format!(
                "invalid JSON at line {}, column {}: {message}",
                inner.line(),
                inner.column()
            ))
        }
    })
}

fn body_rejection(e: BytesRejection, limit: usize) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large(limit)
    } else {
        ApiError::bad_request(e.body_text())
    }
}

/// The authenticated caller: by `Authorization: Bearer TOKEN` (scripts) or by the session
/// cookie (browsers; changes must then carry the session's CSRF token).
#[derive(Clone, Debug)]
pub struct Principal(pub User);

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let safe =
            parts.method == axum::http::Method::GET || parts.method == axum::http::Method::HEAD;
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            if let Some((session, user)) = crate::sessions::current(state, &parts.headers).await? {
                if !safe {
                    crate::sessions::check_csrf(&session, &parts.headers)?;
                }
                return Ok(Principal(user));
            }
            return Err(ApiError::unauthenticated());
        };
        let header = header.to_str().map_err(|_| ApiError::unauthenticated())?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::unauthenticated)?;
        let user = state
            .store
            .user_by_token(&TokenHash::of(token))
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        Ok(Principal(user))
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    /// `None` for an anonymous request; a bad token or a missing CSRF header is still an error.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <Principal as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(principal) => Ok(Some(principal)),
            Err(e) if e.code == "unauthenticated" && !parts.headers.contains_key(AUTHORIZATION) => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

/// The caller of a read-only HTML page: the [`Principal`], or under `cxmap demo` the demo user,
/// so that a local browser can read the demo without signing in (it never writes as it).
pub struct PageReader(pub User);

impl FromRequestParts<AppState> for PageReader {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match <Principal as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(Principal(user)) => Ok(PageReader(user)),
            Err(e) if e.code == "unauthenticated" => match state.config.demo_user {
                Some(demo) => Ok(PageReader(state.store.user(demo).await?)),
                None => Err(e),
            },
            Err(e) => Err(e),
        }
    }
}

/// The journey version a client based its edit on, from `If-Match: "N"` (absent = any).
#[derive(Clone, Copy, Debug)]
pub struct IfMatch(pub Option<Version>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let text = value.to_str().unwrap_or_default().trim();
        let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
        if text == "*" {
            return Ok(IfMatch(None));
        }
        text.parse::<i64>()
            .map(|v| IfMatch(Some(Version(v))))
            .map_err(|_| {
                ApiError::invalid_field("If-Match", "must be a journey version like \"3\"")
            })
    }
}

/// Path parameters; a malformed id is answered like an unknown one (404), in JSON.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| ApiPath(v))
            .map_err(|e| ApiError::not_found(format!("no such resource: {}", e.body_text())))
    }
}

/// Query parameters; bad values are answered 422 naming the parameter, in JSON.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = parse_query(query);
        de.map(ApiQuery)
    }
}

fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{query}")
            .parse()
            .map_err(|_| ApiError::bad_request("malformed query string"))?,
    )
    .map(|axum::extract::Query(v)| v)
    .map_err(|e| ApiError::invalid_field("query", e.body_text()))
}
