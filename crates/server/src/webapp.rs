//! The browser app (`web/`, built into `web/dist`) embedded in the binary and served at `/app`.
//!
//! Every `/app/...` path that is not a built asset answers the app's `index.html`, so the app's
//! own routes (`/app/j/{id}`, `/app/share/{token}`) load directly. Hashed assets are cached for
//! a year; `index.html` never, so a new binary's app is picked up at once. With
//! `ServerConfig::web_dir` (env `CXMAP_WEB_DIR`) the files come from that directory instead, for
//! working on `web/` without rebuilding the binary.

use std::borrow::Cow;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use rust_embed::Embed;

use crate::AppState;

#[derive(Embed)]
#[folder = "../../web/dist"]
struct Dist;

/// `/app` and everything under it.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app", get(|| async { Redirect::permanent("/app/") }))
        .route("/app/", get(index))
        .route("/app/{*path}", get(file))
}

async fn index(State(state): State<AppState>) -> Response {
    asset(&state, "index.html").await
}

async fn file(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    asset(&state, &path).await
}

/// A file of the built app: from `web_dir` when configured, else embedded.
async fn read(state: &AppState, path: &str) -> Option<Cow<'static, [u8]>> {
    match &state.config.web_dir {
        Some(dir)
            if !path
                .split('/')
                .any(|part| part == ".." || part.starts_with('.')) =>
        {
            tokio::fs::read(dir.join(path)).await.ok().map(Cow::Owned)
        }
        Some(_) => None,
        None => Dist::get(path).map(|file| file.data),
    }
}

async fn asset(state: &AppState, path: &str) -> Response {
    let (data, path) = match read(state, path).await {
        Some(data) => (data, path),
        None if path.starts_with("assets/") => {
            return (StatusCode::NOT_FOUND, "no such asset").into_response();
        }
        None => match read(state, "index.html").await {
            Some(data) => (data, "index.html"),
            None => return (StatusCode::NOT_FOUND, "the web app is not built").into_response(),
        },
    };
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mime = mime_guess::from_path(path)
        .first_or_octet_stream()
        .to_string();
    let mut response = data.into_owned().into_response();
    let headers = response.headers_mut();
    if let Ok(mime) = HeaderValue::from_str(&mime) {
        headers.insert(header::CONTENT_TYPE, mime);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; \
             connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
