//! Tracked links end to end: the real server on 127.0.0.1:0 over a fresh SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;

use cxmap_domain::{Email, Journey, templates};
use cxmap_server::{AppState, LinkConfig, ServerConfig};
use cxmap_store::{AccountStore, JourneyStore, NewToken, ensure_user};
use cxmap_store_sqlite::SqliteStore;
use reqwest::StatusCode;
use serde_json::{Value, json};

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

struct TestApp {
    base: String,
    token: String,
    http: reqwest::Client,
    store: SqliteStore,
    journey: Journey,
    db_url: String,
    journal: PathBuf,
    server: Server,
    _dir: Arc<tempfile::TempDir>,
}

async fn spawn_app(redirects_per_second: u32) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let db_url = format!("sqlite://{}", dir.path().join("cx.db").display());
    let store = SqliteStore::connect(&db_url).await.unwrap();
    store.migrate().await.unwrap();
    let owner = ensure_user(
        &store,
        &Email::parse("owner@example.com").unwrap(),
        "Owner",
        None,
        cxmap_domain::now(),
    )
    .await
    .unwrap();
    let workspace = owner.new_workspace.unwrap();
    let project = store.projects(workspace.id).await.unwrap().remove(0);
    let journey = templates::retail_online_shopping(project.id, cxmap_domain::now());
    store.create_journey(&journey).await.unwrap();
    let token = NewToken::generate();
    store
        .add_token(owner.user.id, "test", &token.hash)
        .await
        .unwrap();
    let journal = dir.path().join("cx.db.clicks");
    let (base, server) = serve(store.clone(), journal.clone(), redirects_per_second).await;
    TestApp {
        base,
        token: token.plaintext,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        store,
        journey,
        db_url,
        journal,
        server,
        _dir: dir,
    }
}

/// A running server.
struct Server {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Shuts it down gracefully and waits until it has let go of everything.
    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

async fn serve(
    store: SqliteStore,
    journal: PathBuf,
    redirects_per_second: u32,
) -> (String, Server) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = ServerConfig {
        public_url: base.clone(),
        links: LinkConfig {
            click_journal: Some(journal),
            blocked_domains: vec!["blocked.example".into()],
            redirects_per_second,
            ..LinkConfig::default()
        },
        ..ServerConfig::default()
    };
    let state = AppState::new(Arc::new(store), config).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(cxmap_server::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    (base, Server { stop, task })
}

impl TestApp {
    async fn create(&self, body: Value) -> reqwest::Response {
        self.http
            .post(format!("{}/api/v1/links", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn create_ok(&self, body: Value) -> Value {
        let response = self.create(body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    async fn api(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json().await.unwrap()
    }

    async fn follow(&self, slug: &str, ua: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(format!("{}/l/{slug}", self.base));
        if let Some(ua) = ua {
            request = request.header("user-agent", ua);
        }
        request.send().await.unwrap()
    }

    async fn stats(&self, slug: &str) -> Value {
        self.api(&format!("/api/v1/links/{slug}/stats")).await
    }

    fn touchpoint(&self, stage: usize) -> String {
        self.journey.stages[stage].touchpoints[0].id.to_string()
    }
}

#[tokio::test]
async fn redirects_append_utm_and_split_people_from_bots() {
    let app = spawn_app(0).await;
    let link = app
        .create_ok(json!({
            "target": "https://shop.example.com/spring?id=7",
            "slug": "spring-sale",
            "touchpoint_id": app.touchpoint(0),
            "utm": {"source": "poster", "campaign": "봄 세일"}
        }))
        .await;
    assert_eq!(link["slug"], "spring-sale");
    assert_eq!(link["short_url"], format!("{}/l/spring-sale", app.base));
    assert_eq!(link["journey_id"], app.journey.id.to_string());

    let response = app.follow("spring-sale", Some(IPHONE)).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        response.headers()["location"],
        "https://shop.example.com/spring?id=7&utm_source=poster&utm_campaign=%EB%B4%84+%EC%84%B8%EC%9D%BC"
    );
    // A QR scan from a search result page.
    let response = app
        .http
        .get(format!("{}/l/spring-sale?src=qr", app.base))
        .header("user-agent", IPHONE)
        .header("referer", "https://m.search.naver.com/search.naver?query=x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    // Link previews, scripts and HEAD get the redirect too, but count apart.
    for ua in [
        Some("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"),
        Some("Mozilla/5.0 (compatible; kakaotalk-scrap/1.0; +https://devtalk.kakao.com/)"),
        Some("facebookexternalhit/1.1"),
        Some("curl/8.5.0"),
        None,
    ] {
        assert_eq!(
            app.follow("spring-sale", ua).await.status(),
            StatusCode::FOUND
        );
    }
    let head = app
        .http
        .head(format!("{}/l/spring-sale", app.base))
        .header("user-agent", IPHONE)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::FOUND);

    let stats = app.stats("spring-sale").await;
    assert_eq!(stats["clicks"], 8);
    assert_eq!(stats["human_clicks"], 2);
    assert_eq!(stats["bot_clicks"], 6);
    assert_eq!(stats["qr_clicks"], 1);
    assert_eq!(stats["link_clicks"], 1);
    assert_eq!(stats["unique_visitors"], 1, "same address and browser");
    assert!(
        stats["referrers"]
            .as_array()
            .unwrap()
            .contains(&json!({"key": "m.search.naver.com", "clicks": 1}))
    );
    assert_eq!(stats["devices"], json!([{"key": "mobile", "clicks": 2}]));
    assert_eq!(stats["browsers"][0]["key"], "Safari");
    let windowed = app.api("/api/v1/links/spring-sale/stats?days=7").await;
    assert_eq!(windowed["by_day"].as_array().unwrap().len(), 7);
    assert_eq!(windowed["by_day"][6]["human_clicks"], 2);
}

#[tokio::test]
async fn clicks_show_on_the_journey_rollup_and_the_map() {
    let app = spawn_app(0).await;
    let busy = app.touchpoint(0);
    let quiet = app.touchpoint(1);
    app.create_ok(
        json!({"target": "https://a.example.com/", "slug": "busy", "touchpoint_id": busy}),
    )
    .await;
    app.create_ok(
        json!({"target": "https://b.example.com/", "slug": "quiet", "touchpoint_id": quiet}),
    )
    .await;
    for _ in 0..3 {
        app.follow("busy", Some(IPHONE)).await;
    }
    app.follow("quiet", Some(IPHONE)).await;
    app.follow("quiet", Some("Twitterbot/1.0")).await;

    let rollup = app
        .api(&format!("/api/v1/journeys/{}/links/stats", app.journey.id))
        .await;
    assert_eq!(rollup["human_clicks"], 4);
    assert_eq!(rollup["bot_clicks"], 1);
    assert_eq!(rollup["most_used"][0], busy);
    assert_eq!(rollup["least_used"][0], quiet);
    let busy_row = rollup["touchpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["touchpoint_id"] == busy)
        .unwrap();
    assert_eq!(busy_row["human_clicks"], 3);
    assert_eq!(busy_row["last_7_days"], 3);
    assert_eq!(
        rollup["untracked"].as_array().unwrap().len(),
        app.journey.touchpoints().count() - 2
    );

    let svg = app
        .http
        .get(format!(
            "{}/api/v1/journeys/{}/map.svg?lang=en",
            app.base, app.journey.id
        ))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(svg.contains("Clicks 30d"), "the map shows click badges");
    let page = app
        .http
        .get(format!("{}/journeys/{}?lang=ko", app.base, app.journey.id))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("클릭 30일"));
}

fn decode_qr(png_bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[(y * w + x) * channels]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn qr_codes_decode_to_the_tracked_short_url() {
    let app = spawn_app(0).await;
    let link = app
        .create_ok(json!({"target": "https://shop.example.com/", "slug": "poster-qr"}))
        .await;
    let expected = format!("{}/l/poster-qr?src=qr", app.base);
    assert_eq!(link["qr_url"], expected);
    for query in ["", "?size=300&margin=2&ecc=H", "?ecc=l&margin=0&size=64"] {
        let response = app
            .http
            .get(format!("{}/api/v1/links/poster-qr/qr.png{query}", app.base))
            .bearer_auth(&app.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "image/png");
        let bytes = response.bytes().await.unwrap();
        if !query.contains("margin=0") {
            assert_eq!(decode_qr(&bytes), expected, "{query}");
        }
    }
    let svg = app
        .http
        .get(format!(
            "{}/api/v1/links/poster-qr/qr.svg?size=400",
            app.base
        ))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let raster = cxmap_render::render_png(&svg, 1.0).unwrap();
    assert_eq!(decode_qr(&raster), expected, "the SVG scans too");

    let bad = app
        .http
        .get(format!("{}/api/v1/links/poster-qr/qr.png?ecc=Z", app.base))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Scanning it is counted as a QR click.
    let scanned = app
        .http
        .get(&expected)
        .header("user-agent", IPHONE)
        .send()
        .await
        .unwrap();
    assert_eq!(scanned.status(), StatusCode::FOUND);
    assert_eq!(app.stats("poster-qr").await["qr_clicks"], 1);
}

#[tokio::test]
async fn unsafe_targets_and_taken_slugs_are_refused() {
    let app = spawn_app(0).await;
    for target in [
        "javascript:alert(1)".to_owned(),
        "data:text/html;base64,PHNjcmlwdD4=".to_owned(),
        "/relative/path".to_owned(),
        format!("{}/l/other", app.base),
        "https://sub.blocked.example/x".to_owned(),
    ] {
        let response = app.create(json!({ "target": target })).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{target}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["field"], "target", "{target}");
    }
    let bad_slug = app
        .create(json!({"target": "https://e.com", "slug": "no spaces"}))
        .await;
    assert_eq!(bad_slug.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let random = app.create_ok(json!({"target": "https://e.com"})).await;
    assert_eq!(random["slug"].as_str().unwrap().len(), 7);
    app.create_ok(json!({"target": "https://e.com", "slug": "mine"}))
        .await;
    let taken = app
        .create(json!({"target": "https://e.com", "slug": "mine"}))
        .await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    let foreign_tp = app
        .create(json!({"target": "https://e.com", "touchpoint_id": uuid_like()}))
        .await;
    assert_eq!(foreign_tp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let anonymous = app
        .http
        .post(format!("{}/api/v1/links", app.base))
        .json(&json!({"target": "https://e.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

fn uuid_like() -> String {
    cxmap_domain::TouchpointId::new().to_string()
}

#[tokio::test]
async fn expired_and_disabled_links_answer_a_page_not_a_redirect() {
    let app = spawn_app(0).await;
    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    app.create_ok(json!({"target": "https://e.com/", "slug": "old", "expires_at": past}))
        .await;
    let response = app.follow("old", Some(IPHONE)).await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert!(response.headers().get("location").is_none());
    let html = response.text().await.unwrap();
    assert!(html.contains("만료된 링크") && html.contains("expired"));

    app.create_ok(json!({"target": "https://e.com/", "slug": "switch"}))
        .await;
    assert_eq!(
        app.follow("switch", Some(IPHONE)).await.status(),
        StatusCode::FOUND
    );
    let patch = |disabled: bool| {
        app.http
            .patch(format!("{}/api/v1/links/switch", app.base))
            .bearer_auth(&app.token)
            .json(&json!({ "disabled": disabled }))
            .send()
    };
    let updated: Value = patch(true).await.unwrap().json().await.unwrap();
    assert_eq!(updated["disabled"], true);
    let response = app.follow("switch", Some(IPHONE)).await;
    assert_eq!(
        response.status(),
        StatusCode::GONE,
        "the cache follows the change at once"
    );
    assert!(response.text().await.unwrap().contains("disabled"));
    patch(false).await.unwrap();
    assert_eq!(
        app.follow("switch", Some(IPHONE)).await.status(),
        StatusCode::FOUND
    );
    assert_eq!(
        app.stats("switch").await["clicks"],
        2,
        "refused visits are not clicks"
    );
    assert_eq!(app.stats("old").await["clicks"], 0);
}

#[tokio::test]
async fn password_links_ask_first_and_redirect_after() {
    let app = spawn_app(0).await;
    let link = app
        .create_ok(json!({"target": "https://secret.example.com/", "slug": "locked", "password": "열려라 참깨"}))
        .await;
    assert_eq!(link["password_protected"], true);
    let form = app.follow("locked", Some(IPHONE)).await;
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.headers().get("location").is_none());
    let html = form.text().await.unwrap();
    assert!(html.contains("비밀번호") && html.contains("password"));
    assert!(
        !html.contains("secret.example.com"),
        "the target stays hidden"
    );

    let post = |password: &'static str| {
        app.http
            .post(format!("{}/l/locked", app.base))
            .header("user-agent", IPHONE)
            .form(&[("password", password), ("src", "link")])
            .send()
    };
    assert_eq!(
        post("wrong").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let ok = post("열려라 참깨").await.unwrap();
    assert_eq!(ok.status(), StatusCode::FOUND);
    assert_eq!(ok.headers()["location"], "https://secret.example.com/");
    assert_eq!(app.stats("locked").await["clicks"], 1);
}

#[tokio::test]
async fn one_flooding_address_is_limited() {
    let app = spawn_app(5).await;
    app.create_ok(json!({"target": "https://e.com/", "slug": "limited"}))
        .await;
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(app.follow("limited", Some(IPHONE)).await.status());
    }
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    let found = statuses.iter().filter(|s| **s == StatusCode::FOUND).count();
    assert!(limited >= 15, "{statuses:?}");
    assert!(found >= 5, "a burst is allowed: {statuses:?}");
    assert_eq!(app.stats("limited").await["clicks"], found as i64);
}

#[tokio::test]
async fn malformed_slugs_never_reach_the_store_and_a_dead_database_keeps_clicks() {
    let app = spawn_app(0).await;
    app.create_ok(json!({"target": "https://e.com/", "slug": "cached"}))
        .await;
    assert_eq!(
        app.follow("cached", Some(IPHONE)).await.status(),
        StatusCode::FOUND
    );

    // The database goes away.
    app.store.pool().close().await;
    for slug in [
        "has%20space",
        "dot.dot",
        "%ED%95%9C%EA%B8%80",
        &"x".repeat(65),
    ] {
        let response = app.follow(slug, Some(IPHONE)).await;
        assert_eq!(
            response.status(),
            StatusCode::NOT_FOUND,
            "{slug}: answered without the store"
        );
    }
    // A well-formed unknown slug needs the store: it says so instead of guessing.
    assert_eq!(
        app.follow("unknown-slug", Some(IPHONE)).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    // A known link still redirects from the cache; its clicks wait in the journal.
    for _ in 0..5 {
        assert_eq!(
            app.follow("cached", Some(IPHONE)).await.status(),
            StatusCode::FOUND
        );
    }

    // That process ends with the database still gone; a new one on the same database and
    // journal stores what the first one answered.
    app.server.stop().await;
    let store = SqliteStore::connect(&app.db_url).await.unwrap();
    let (base, server) = serve(store, app.journal.clone(), 0).await;
    let restarted = TestApp {
        base,
        server,
        ..app
    };
    assert_eq!(
        restarted.stats("cached").await["clicks"],
        6,
        "1 stored at once + 5 from the journal"
    );
    let locks = std::fs::read_dir(&restarted.journal)
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().ends_with(".lock")
        })
        .count();
    assert_eq!(
        locks, 1,
        "the ended process's journal was adopted and removed"
    );
}
