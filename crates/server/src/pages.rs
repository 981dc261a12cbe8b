//! Server-rendered, read-only pages: the journey list and one page per journey with its map
//! and audit table. They work without JavaScript and speak Korean or English.

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::response::Html;
use axum::routing::get;
use cxmap_domain::{JourneyId, Lang, Role, audit};
use serde::Deserialize;

use crate::AppState;
use crate::access;
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery, PageReader};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/journeys/{id}", get(journey_page))
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<Lang>,
}

/// `?lang=` wins; otherwise Korean when the browser lists Korean before English.
pub(crate) fn pick_lang(query: Option<Lang>, headers: &HeaderMap) -> Lang {
    if let Some(lang) = query {
        return lang;
    }
    let accept = headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match (accept.find("ko"), accept.find("en")) {
        (Some(ko), Some(en)) if ko < en => Lang::Ko,
        (Some(_), None) => Lang::Ko,
        (None, None) => Lang::Ko,
        _ => Lang::En,
    }
}

pub(crate) fn t(lang: Lang, ko: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Ko => ko,
        Lang::En => en,
    }
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub(crate) fn layout(lang: Lang, title: &str, body: &str) -> Html<String> {
    let code = match lang {
        Lang::Ko => "ko",
        Lang::En => "en",
    };
    Html(format!(
        r#"<!doctype html><html lang="{code}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title} · cxmap</title><style>
body{{font-family:"Noto Sans KR","NanumGothic","Apple SD Gothic Neo",system-ui,sans-serif;margin:0;color:#1f2933;background:#f5f7fa}}
header{{background:#1f2933;color:#fff;padding:12px 24px;display:flex;gap:16px;align-items:center}}
header a{{color:#fff;text-decoration:none;font-weight:700}} header nav{{margin-left:auto;display:flex;gap:12px}} header nav a{{font-weight:400;opacity:.8}}
main{{padding:24px;max-width:1600px;margin:auto}} h1{{margin-top:0}} .card{{background:#fff;border-radius:8px;padding:16px 20px;margin-bottom:16px;box-shadow:0 1px 3px #0002}}
.map{{overflow:auto;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002}} .map svg{{display:block}}
table{{border-collapse:collapse;width:100%;font-size:14px}} th,td{{border-bottom:1px solid #e4e7eb;padding:6px 8px;text-align:left;vertical-align:top}} th{{background:#f0f4f8}}
.badge{{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;background:#fde68a}} .muted{{color:#616e7c}}
.exports a{{margin-right:12px}}
</style></head><body><header><a href="/">cxmap</a><span class="muted">{tagline}</span><nav><a href="/app/">{editor}</a><a href="?lang=ko">한국어</a><a href="?lang=en">English</a><a href="/api/docs">API</a></nav></header><main>{body}</main></body></html>"#,
        title = escape(title),
        editor = t(lang, "편집기 열기", "Open the editor"),
        tagline = t(
            lang,
            "살아 있는 고객 여정 지도",
            "the living customer journey map"
        ),
    ))
}

async fn index(
    State(state): State<AppState>,
    PageReader(user): PageReader,
    ApiQuery(q): ApiQuery<LangQuery>,
    headers: HeaderMap,
) -> ApiResult<Html<String>> {
    let lang = pick_lang(q.lang, &headers);
    let mut body = format!("<h1>{}</h1>", t(lang, "고객 여정", "Customer journeys"));
    for (workspace, role) in state.store.workspaces_of(user.id).await? {
        body.push_str(&format!(
            "<div class=card><h2>{} <span class=\"badge\">{}</span></h2>",
            escape(workspace.name.as_str()),
            role
        ));
        for project in state.store.projects(workspace.id).await? {
            body.push_str(&format!("<h3>{}</h3><ul>", escape(project.name.as_str())));
            for journey in state.store.journeys(project.id).await? {
                body.push_str(&format!(
                    "<li><a href=\"/journeys/{}\">{}</a> <span class=muted>{} · v{} · {}</span></li>",
                    journey.id,
                    escape(journey.title.as_str()),
                    if journey.kind == cxmap_domain::JourneyKind::B2b { "B2B" } else { "B2C" },
                    journey.version,
                    journey.updated_at.format("%Y-%m-%d %H:%M UTC"),
                ));
            }
            body.push_str("</ul>");
        }
        body.push_str("</div>");
    }
    Ok(layout(
        lang,
        t(lang, "고객 여정", "Customer journeys"),
        &body,
    ))
}

async fn journey_page(
    State(state): State<AppState>,
    PageReader(user): PageReader,
    ApiPath(id): ApiPath<JourneyId>,
    ApiQuery(q): ApiQuery<LangQuery>,
    headers: HeaderMap,
) -> ApiResult<Html<String>> {
    let lang = pick_lang(q.lang, &headers);
    let (journey, _) = access::journey(&state, &user, id, Role::Viewer).await?;
    let svg = cxmap_render::render_svg(
        &journey,
        &crate::api::maps::render_options(&state, &journey, lang).await?,
    );
    let code = if lang == Lang::Ko { "ko" } else { "en" };
    let mut body = format!(
        "<h1>{title}</h1><div class=card><p><b>{goal_l}</b> {goal}</p><p><b>{vp_l}</b> {vp}</p>\
         <p class=exports>{export_l}: <a href=\"/api/v1/journeys/{id}/map.svg?lang={code}\">SVG</a><a href=\"/api/v1/journeys/{id}/map.png?lang={code}\">PNG</a>\
         <a href=\"/api/v1/journeys/{id}/map.pdf?lang={code}\">PDF</a><a href=\"/api/v1/journeys/{id}/export\">JSON</a><a href=\"/api/v1/journeys/{id}/audit.csv\">CSV</a>\
         <a href=\"/api/v1/journeys/{id}/analytics/process-map.svg?lang={code}\">{pm_l}</a></p></div>\
         <div class=map>{svg}</div>",
        title = escape(journey.title.as_str()),
        goal_l = t(lang, "고객 목표", "Customer goal"),
        goal = escape(journey.goal.as_str()),
        vp_l = t(lang, "가치 제안", "Value proposition"),
        vp = escape(journey.value_proposition.as_str()),
        export_l = t(lang, "내보내기", "Export"),
        pm_l = t(lang, "프로세스 맵", "Process map"),
    );
    body.push_str(&format!(
        "<div class=card><h2>{}</h2><table><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>MOT</th><th>{}</th><th>KPI</th></tr>",
        t(lang, "접점 감사표", "Touchpoint audit"),
        t(lang, "단계", "Stage"),
        t(lang, "접점", "Touchpoint"),
        t(lang, "채널", "Channel"),
        t(lang, "유형", "Category"),
        t(lang, "담당", "Owner"),
        t(lang, "감정", "Emotion"),
        t(lang, "불편 사항", "Pain points"),
    ));
    for row in audit::rows(&journey) {
        let category = match row.category {
            cxmap_domain::TouchpointCategory::Digital => t(lang, "디지털", "digital"),
            cxmap_domain::TouchpointCategory::Human => t(lang, "사람", "human"),
            cxmap_domain::TouchpointCategory::Physical => t(lang, "물리적", "physical"),
        };
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:+}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            row.stage_no,
            escape(&row.stage),
            escape(&row.touchpoint),
            escape(&row.channel),
            category,
            escape(&row.owner),
            row.emotion,
            if row.moment_of_truth { "★" } else { "" },
            escape(&row.pain_points),
            escape(&row.kpis),
        ));
    }
    body.push_str("</table></div>");
    Ok(layout(lang, journey.title.as_str(), &body))
}
