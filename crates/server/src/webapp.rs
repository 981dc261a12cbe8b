//! The browser app (`web/`, built into `web/dist`) embedded in the binary and served at `/app`.
//!
//! Every `/app/...` path that is not a built asset answers the app's `index.html`, so the app's
//! own routes (`/app/j/{id}`, `/app/share/{token}`) load directly. Hashed assets are cached for
//! a year; `index.html` never, so a new binary's app is picked up at once.

use axum::Router;
use axum::extract::Path;
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
        .route("/app/", get(|| async { asset("index.html") }))
        .route(
            "/app/{*path}",
            get(|Path(path): Path<String>| async move { asset(&path) }),
        )
}

fn asset(path: &str) -> Response {
    let (file, path) = match Dist::get(path) {
        Some(file) => (file, path),
        None if path.starts_with("assets/") => {
            return (StatusCode::NOT_FOUND, "no such asset").into_response();
        }
        None => match Dist::get("index.html") {
            Some(file) => (file, "index.html"),
            None => return (StatusCode::NOT_FOUND, "the web app is not built").into_response(),
        },
    };
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mime = file.metadata.mimetype().to_owned();
    let mut response = file.data.into_owned().into_response();
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
