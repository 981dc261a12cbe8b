//! The cxmap HTTP server.
//!
//! Handlers are thin: they parse the request (extractors in [`extract`]), check the caller's
//! role ([`access`]), call the store port or a pure crate, and shape the answer. The server
//! never names a database: it holds an `Arc<dyn Store>`.

pub mod access;
mod api;
pub mod collab;
pub mod error;
pub mod event_import;
pub mod extract;
mod ingest;
mod journey_events;
pub mod links;
mod pages;
pub mod passwords;
mod redirect;
pub mod sessions;
pub mod surveys;
mod webapp;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::serve::ListenerExt;
use cxmap_domain::UserId;
use cxmap_store::Store;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

pub use api::openapi;

use crate::error::ApiError;
use crate::links::Links;
pub use crate::links::{GeoIp, LinkConfig};

/// Settings of one server process.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The externally visible base URL, e.g. `https://cx.example.com` (used in short links).
    pub public_url: String,
    /// The largest accepted request body, in bytes.
    pub body_limit: usize,
    /// In `cxmap demo` only: the user that unauthenticated browser pages act as.
    pub demo_user: Option<UserId>,
    /// The largest accepted event-log file upload (`POST /api/v1/events/import`), in bytes.
    pub import_limit: usize,
    /// Tracked links: click spool, GeoIP, blocklist, rate limits.
    pub links: LinkConfig,
    /// Survey delivery, signing and scheduling.
    pub surveys: surveys::SurveyConfig,
    /// Sign-ups, sign-ins and share-link openings allowed per client address and minute.
    pub auth_per_minute: u32,
    /// Serve `/app` from this directory instead of the embedded build (developing `web/`).
    pub web_dir: Option<std::path::PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            body_limit: 10 * 1024 * 1024,
            demo_user: None,
            import_limit: 512 * 1024 * 1024,
            links: LinkConfig::default(),
            surveys: surveys::SurveyConfig::default(),
            auth_per_minute: 30,
            web_dir: None,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The storage port.
    pub store: Arc<dyn Store>,
    /// The process settings.
    pub config: Arc<ServerConfig>,
    /// Tracked links: slug cache, click writer, limits.
    pub links: Arc<Links>,
    /// Live co-editing rooms.
    pub hub: Arc<collab::Hub>,
    /// Per-address limit of the sign-in endpoints.
    auth_limiter: Arc<governor::DefaultKeyedRateLimiter<std::net::IpAddr>>,
}

impl AppState {
    /// State over `store` with `config`. Must be called inside a Tokio runtime: it starts
    /// the click journal's ingest. Fails when the click journal cannot be opened.
    pub fn new(store: Arc<dyn Store>, config: ServerConfig) -> std::io::Result<Self> {
        let links = Links::start(store.clone(), config.links.clone(), &config.public_url)?;
        let hub = collab::Hub::new(store.clone());
        let follower = hub.clone();
        tokio::spawn(async move {
            if let Err(e) = follower.follow_other_processes().await {
                tracing::error!(error = %e.message, "cannot follow other processes' edits");
            }
        });
        let per_minute = std::num::NonZeroU32::new(config.auth_per_minute.max(1))
            .unwrap_or(std::num::NonZeroU32::MIN);
        let auth_limiter = Arc::new(governor::RateLimiter::keyed(governor::Quota::per_minute(
            per_minute,
        )));
        Ok(Self {
            store,
            config: Arc::new(config),
            links: Arc::new(links),
            hub,
            auth_limiter,
        })
    }

    /// Refuses a sign-in attempt from an address that made too many.
    pub fn check_auth_rate(&self, ip: std::net::IpAddr) -> Result<(), ApiError> {
        self.auth_limiter
            .check_key(&ip)
            .map_err(|_| ApiError::rate_limited())
    }
}

/// The whole application: API, pages, docs, health.
pub fn app(state: AppState) -> Router {
    let body_limit = state.config.body_limit;
    let layered = Router::new()
        .merge(api::router())
        .merge(pages::router())
        .merge(surveys::public::router())
        .merge(webapp::router())
        // Before the layers, so that they wrap it: a preflight to a POST-only public route
        // must reach `public_cors` rather than a bare 405.
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(surveys::public::public_cors))
        .layer(TraceLayer::new_for_http())
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ));
    // Redirects skip those layers: they read no body (the password form bounds its own), need
    // no CORS, wait on nothing unbounded, and are the one route whose cost per request counts.
    Router::new()
        .merge(redirect::router())
        .merge(layered)
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// Serves `app` on `listener` until `shutdown` completes, then drains in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The survey scheduler lives as long as the server.
    let _scheduler = surveys::scheduler::SchedulerGuard(
        state
            .config
            .surveys
            .scheduler
            .enabled
            .then(|| Arc::new(surveys::scheduler::spawn(state.clone()))),
    );
    // Edits and acknowledgements are small WebSocket frames: with Nagle's algorithm a frame
    // written while the previous one is unacknowledged waits for the peer's delayed ACK
    // (~40 ms on Linux), which is the whole co-editing latency budget.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    // Peer addresses key the public endpoints' rate limits.
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; draining requests");
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    match state.store.count_users().await {
        Ok(_) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok", "database": state.store.backend()})),
        )
            .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
