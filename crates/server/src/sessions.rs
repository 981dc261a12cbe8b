//! Browser sessions: two cookies and a CSRF token bound to the session.
//!
//! `cxmap_session` carries a 256-bit secret (HttpOnly, SameSite=Lax); only its SHA-256 is
//! stored. `cxmap_csrf` is readable by the page's scripts, which echo it in the `X-CSRF-Token`
//! header of every change; the server compares the header with the token stored for the
//! session, so a cross-site form (which can neither read the cookie nor set the header) fails.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use chrono::Duration;
use cxmap_domain::UserId;
use cxmap_store::{NewToken, Session, TokenHash, User};

use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "cxmap_session";
/// The CSRF cookie's name.
pub const CSRF_COOKIE: &str = "cxmap_csrf";
/// The header that must echo the CSRF token on changes.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The session cookie's attributes: never readable by scripts, sent on top-level navigation.
const SESSION_ATTRIBUTES: &str = "HttpOnly; SameSite=Lax";
/// The CSRF cookie's attributes: readable by our pages' scripts, never sent cross-site.
const CSRF_ATTRIBUTES: &str = "SameSite=Strict";
/// How long a session lasts.
const SESSION_DAYS: i64 = 30;

/// Starts a session for `user` and returns the `Set-Cookie` headers that carry it.
pub async fn start(state: &AppState, user: UserId) -> ApiResult<HeaderMap> {
    let secret = NewToken::generate();
    let csrf = NewToken::generate().plaintext;
    let now = cxmap_domain::now();
    let session = Session {
        hash: secret.hash,
        user_id: user,
        csrf: csrf.clone(),
        created_at: now,
        expires_at: now + Duration::days(SESSION_DAYS),
    };
    state.store.create_session(&session).await?;
    let secure = is_secure(state);
    let max_age = SESSION_DAYS * 24 * 3600;
    let mut headers = HeaderMap::new();
    headers.append(
        SET_COOKIE,
        cookie(
            SESSION_COOKIE,
            &secret.plaintext,
            SESSION_ATTRIBUTES,
            max_age,
            secure,
        )?,
    );
    headers.append(
        SET_COOKIE,
        cookie(CSRF_COOKIE, &csrf, CSRF_ATTRIBUTES, max_age, secure)?,
    );
    Ok(headers)
}

/// Ends the session the request carries (if any) and returns headers that clear both cookies.
pub async fn end(state: &AppState, request: &HeaderMap) -> ApiResult<HeaderMap> {
    if let Some(secret) = read_cookie(request, SESSION_COOKIE) {
        state.store.delete_session(&TokenHash::of(secret)).await?;
    }
    let secure = is_secure(state);
    let mut headers = HeaderMap::new();
    headers.append(
        SET_COOKIE,
        cookie(SESSION_COOKIE, "", SESSION_ATTRIBUTES, 0, secure)?,
    );
    headers.append(
        SET_COOKIE,
        cookie(CSRF_COOKIE, "", CSRF_ATTRIBUTES, 0, secure)?,
    );
    Ok(headers)
}

/// The live session a request's cookie names, with its user.
pub async fn current(state: &AppState, request: &HeaderMap) -> ApiResult<Option<(Session, User)>> {
    let Some(secret) = read_cookie(request, SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(state
        .store
        .session(&TokenHash::of(secret), cxmap_domain::now())
        .await?)
}

/// Checks that a change authenticated by `session` carries its CSRF token.
pub fn check_csrf(session: &Session, request: &HeaderMap) -> ApiResult<()> {
    let sent = request
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if constant_time_eq(sent.as_bytes(), session.csrf.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::csrf_failed())
    }
}

fn is_secure(state: &AppState) -> bool {
    state.config.public_url.starts_with("https://")
}

fn cookie(
    name: &str,
    value: &str,
    attributes: &str,
    max_age: i64,
    secure: bool,
) -> ApiResult<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age}; {attributes}{secure}"
    ))
    .map_err(ApiError::internal)
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("a=1; cxmap_session=abc; b=2"),
        );
        headers.append(COOKIE, HeaderValue::from_static("cxmap_csrf=xyz"));
        assert_eq!(read_cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(read_cookie(&headers, CSRF_COOKIE), Some("xyz"));
        assert_eq!(read_cookie(&headers, "missing"), None);
    }

    #[test]
    fn csrf_must_match_exactly() {
        let session = Session {
            hash: TokenHash::of("s"),
            user_id: UserId::new(),
            csrf: "token".into(),
            created_at: cxmap_domain::now(),
            expires_at: cxmap_domain::now(),
        };
        let mut headers = HeaderMap::new();
        assert!(check_csrf(&session, &headers).is_err());
        headers.insert(CSRF_HEADER, HeaderValue::from_static("tokeN"));
        assert!(check_csrf(&session, &headers).is_err());
        headers.insert(CSRF_HEADER, HeaderValue::from_static("token"));
        assert!(check_csrf(&session, &headers).is_ok());
    }
}
