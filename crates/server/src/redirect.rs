//! `GET /l/{slug}`: the redirect hot path, and the small public pages around it (unknown,
//! disabled, expired, password form). These answer browsers, so they are HTML in Korean and
//! English, not JSON.
//!
//! Order of work, cheapest first: the per-IP limit (a flood from one address is refused before
//! it costs anything), the slug's shape (a malformed slug never reaches the cache or the
//! store), the cache, then the durable click, then the 302.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CACHE_CONTROL, LOCATION, REFERER, USER_AGENT};
use axum::http::{Extensions, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use cxmap_domain::{Lang, Slug};
use cxmap_store::ClickSource;

use crate::AppState;
use crate::links::cache::CachedLink;
use crate::pages::{escape, pick_lang};

pub fn router() -> Router<AppState> {
    Router::new().route("/l/{slug}", get(follow).post(unlock))
}

/// The caller's address: the socket peer, or the last `X-Forwarded-For` hop when the server
/// is configured to sit behind a trusted proxy.
pub(crate) fn client_ip(
    extensions: &Extensions,
    headers: &HeaderMap,
    trust_forwarded: bool,
) -> IpAddr {
    if trust_forwarded
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return ip;
    }
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(addr)| {
            addr.ip()
        })
}

fn slug_of(path: &str) -> Option<Slug> {
    Slug::parse(path.strip_prefix("/l/")?).ok()
}

fn source_of(query: Option<&str>) -> ClickSource {
    let qr = query.is_some_and(|q| {
        url::form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "src" && v == "qr")
    });
    if qr {
        ClickSource::Qr
    } else {
        ClickSource::Link
    }
}

/// A small standalone page, the preferred language first.
fn page(
    status: StatusCode,
    lang: Lang,
    ko: (&str, &str),
    en: (&str, &str),
    extra: &str,
) -> Response {
    let ((first_title, first_text), (second_title, second_text)) = match lang {
        Lang::Ko => (ko, en),
        Lang::En => (en, ko),
    };
    let code = if lang == Lang::Ko { "ko" } else { "en" };
    let html = format!(
        r#"<!doctype html><html lang="{code}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">
<title>{t1} · cxmap</title><style>body{{font-family:"Noto Sans KR","Apple SD Gothic Neo",system-ui,sans-serif;background:#f5f7fa;color:#1f2933;display:flex;min-height:100vh;align-items:center;justify-content:center;margin:0}}
main{{background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002;padding:28px 32px;max-width:440px}} h1{{font-size:22px;margin:0 0 8px}} h2{{font-size:16px;margin:20px 0 6px;color:#52606d}} p{{margin:0 0 8px}}
input{{font-size:16px;padding:8px;width:100%;box-sizing:border-box;margin:8px 0}} button{{font-size:16px;padding:8px 16px}} .error{{color:#b91c1c}}</style></head>
<body><main><h1>{t1}</h1><p>{p1}</p>{extra}<h2>{t2}</h2><p>{p2}</p></main></body></html>"#,
        t1 = escape(first_title),
        p1 = escape(first_text),
        t2 = escape(second_title),
        p2 = escape(second_text),
    );
    let mut response = (status, Html(html)).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn not_found(lang: Lang) -> Response {
    page(
        StatusCode::NOT_FOUND,
        lang,
        ("링크를 찾을 수 없습니다", "주소가 정확한지 확인해 주세요."),
        (
            "Link not found",
            "Please check that the address is correct.",
        ),
        "",
    )
}

fn rate_limited(lang: Lang) -> Response {
    let mut response = page(
        StatusCode::TOO_MANY_REQUESTS,
        lang,
        ("요청이 너무 많습니다", "잠시 후 다시 시도해 주세요."),
        ("Too many requests", "Please try again in a moment."),
        "",
    );
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        HeaderValue::from_static("1"),
    );
    response
}

fn unavailable(lang: Lang) -> Response {
    let mut response = page(
        StatusCode::SERVICE_UNAVAILABLE,
        lang,
        ("잠시 사용할 수 없습니다", "잠시 후 다시 시도해 주세요."),
        (
            "Temporarily unavailable",
            "Please try again in a few seconds.",
        ),
        "",
    );
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        HeaderValue::from_static("5"),
    );
    response
}

/// Disabled and expired links answer 410 Gone with a page saying which.
fn closed(link: &CachedLink, lang: Lang) -> Option<Response> {
    if link.disabled {
        return Some(page(
            StatusCode::GONE,
            lang,
            (
                "비활성화된 링크입니다",
                "이 링크는 소유자가 더 이상 사용하지 않도록 설정했습니다.",
            ),
            (
                "This link has been disabled",
                "Its owner has switched this link off.",
            ),
            "",
        ));
    }
    if link.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Some(page(
            StatusCode::GONE,
            lang,
            ("만료된 링크입니다", "이 링크의 사용 기간이 끝났습니다."),
            ("This link has expired", "This link is no longer valid."),
            "",
        ));
    }
    None
}

fn password_form(slug: &Slug, source: ClickSource, lang: Lang, wrong: bool) -> Response {
    let error = if wrong {
        "<p class=error>비밀번호가 맞지 않습니다. / The password is not correct.</p>"
    } else {
        ""
    };
    let form = format!(
        r#"{error}<form method="post" action="/l/{slug}"><input type="hidden" name="src" value="{src}"><input type="password" name="password" autocomplete="current-password" required autofocus aria-label="비밀번호 / Password" placeholder="비밀번호 / Password"><button type="submit">열기 / Open</button></form>"#,
        slug = escape(slug.as_str()),
        src = source.as_str(),
    );
    page(
        if wrong {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::OK
        },
        lang,
        (
            "비밀번호가 필요한 링크입니다",
            "계속하려면 비밀번호를 입력하세요.",
        ),
        (
            "This link is password-protected",
            "Enter the password to continue.",
        ),
        &form,
    )
}

/// Records the click durably, then answers 302 (or 503 when the click could not be kept).
async fn redirect(
    state: &AppState,
    link: &CachedLink,
    ip: IpAddr,
    headers: &HeaderMap,
    head: bool,
    source: ClickSource,
    lang: Lang,
) -> Response {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let request = crate::links::Request {
        ip,
        user_agent: header(USER_AGENT),
        referer: header(REFERER),
        head,
        source,
    };
    if state.links.record_click(link, &request).await.is_err() {
        return unavailable(lang);
    }
    let Ok(location) = HeaderValue::from_str(&link.location) else {
        return unavailable(lang);
    };
    (
        StatusCode::FOUND,
        [
            (LOCATION, location),
            // Every visit must reach us to be counted.
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response()
}

/// What both handlers do before looking at the method: limit, parse, look up, check gates.
enum Resolved {
    Answer(Response),
    Open(std::sync::Arc<CachedLink>, Slug),
}

async fn resolve(state: &AppState, ip: IpAddr, path: &str, lang: Lang, limit: bool) -> Resolved {
    if limit && !state.links.allow_redirect(ip) {
        return Resolved::Answer(rate_limited(lang));
    }
    let Some(slug) = slug_of(path) else {
        return Resolved::Answer(not_found(lang));
    };
    let link = match state.links.resolve(&slug).await {
        Ok(Some(link)) => link,
        Ok(None) => return Resolved::Answer(not_found(lang)),
        Err(e) => {
            tracing::warn!(error = %e, "link lookup failed");
            return Resolved::Answer(unavailable(lang));
        }
    };
    match closed(&link, lang) {
        Some(page) => Resolved::Answer(page),
        None => Resolved::Open(link, slug),
    }
}

async fn follow(State(state): State<AppState>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let ip = client_ip(
        &parts.extensions,
        &parts.headers,
        state.links.config().trust_forwarded_for,
    );
    let lang = pick_lang(None, &parts.headers);
    let (link, slug) = match resolve(&state, ip, parts.uri.path(), lang, true).await {
        Resolved::Answer(response) => return response,
        Resolved::Open(link, slug) => (link, slug),
    };
    let source = source_of(parts.uri.query());
    if link.password_hash.is_some() {
        return password_form(&slug, source, lang, false);
    }
    let head = parts.method == Method::HEAD;
    redirect(&state, &link, ip, &parts.headers, head, source, lang).await
}

/// The password form's POST: verify (slowly, off the async threads), then redirect.
async fn unlock(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let ip = client_ip(
        &parts.extensions,
        &parts.headers,
        state.links.config().trust_forwarded_for,
    );
    let lang = pick_lang(None, &parts.headers);
    if !state.links.allow_password(ip) {
        return rate_limited(lang);
    }
    let (link, slug) = match resolve(&state, ip, parts.uri.path(), lang, false).await {
        Resolved::Answer(response) => return response,
        Resolved::Open(link, slug) => (link, slug),
    };
    let Some(hash) = link.password_hash.clone() else {
        return redirect(
            &state,
            &link,
            ip,
            &parts.headers,
            false,
            ClickSource::Link,
            lang,
        )
        .await;
    };
    let Ok(body) = axum::body::to_bytes(body, 16 * 1024).await else {
        return password_form(&slug, ClickSource::Link, lang, true);
    };
    let (password, source) = form_fields(&body);
    let ok = tokio::task::spawn_blocking(move || crate::passwords::verify(&password, &hash))
        .await
        .unwrap_or(false);
    if !ok {
        return password_form(&slug, source, lang, true);
    }
    redirect(&state, &link, ip, &parts.headers, false, source, lang).await
}

fn form_fields(body: &Bytes) -> (String, ClickSource) {
    let mut password = String::new();
    let mut source = ClickSource::Link;
    for (key, value) in url::form_urlencoded::parse(body) {
        match key.as_ref() {
            "password" => password = value.into_owned(),
            "src" if value == "qr" => source = ClickSource::Qr,
            _ => {}
        }
    }
    (password, source)
}
