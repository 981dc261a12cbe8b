//! What respondents see: the hosted page `/s/{id}` (plain HTML forms, no JavaScript needed),
//! the embeddable widget `/s/{id}/widget.js`, the QR code, the unsubscribe page and the
//! public JSON answer endpoints the widget posts to (CORS open, rate limited per address).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use cxmap_domain::survey::{
    Answer, AnswerId, Bilingual, Channel, Score, Segment, Survey, SurveyId,
};
use cxmap_domain::{Lang, Text};
use cxmap_store::StoreError;
use governor::{DefaultKeyedRateLimiter, Quota};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::token::Grant;
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::pages::{escape, pick_lang, t};

/// The per-address limiter of the public endpoints, built on first use from the config.
pub type PublicLimiter = DefaultKeyedRateLimiter<IpAddr>;

/// Shared slot for the limiter, so clones of the config share one.
#[derive(Clone, Default)]
pub struct LimiterSlot(Arc<OnceLock<PublicLimiter>>);

impl std::fmt::Debug for LimiterSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LimiterSlot")
    }
}

/// The client's address (the TCP peer; `0.0.0.0` when unknown).
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip()),
        ))
    }
}

fn rate_check(state: &AppState, ip: IpAddr) -> ApiResult<()> {
    let config = &state.config.surveys;
    let limiter = config.limiter.0.get_or_init(|| {
        let rate = NonZeroU32::new(config.public_rate_per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = rate.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN));
        PublicLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
    });
    limiter.check_key(&ip).map_err(|_| ApiError::rate_limited())
}

/// Pages and assets under `/s/`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/s/unsubscribe", get(unsubscribe_page).post(unsubscribe))
        .route("/s/{id}", get(survey_page).post(submit_form))
        .route("/s/{id}/followup", axum::routing::post(followup_form))
        .route("/s/{id}/widget.js", get(widget_js))
        .route("/s/{id}/qr.svg", get(qr_svg))
}

/// The public JSON endpoints; [`public_cors`] opens them to any origin.
pub(crate) fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit_json))
        .routes(routes!(comment_json))
}

/// The prefix of the endpoints the widget posts to from other sites.
const PUBLIC_API: &str = "/api/v1/public/";

/// CORS for the public answer endpoints only (the widget posts from the customer's site):
/// answers preflights and marks responses readable by any origin. It wraps the whole app so
/// that it sees preflights before the method fallback does; other paths pass untouched.
pub async fn public_cors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if !request.uri().path().starts_with(PUBLIC_API) {
        return next.run(request).await;
    }
    let mut response = if request.method() == axum::http::Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("3600"),
    );
    response
}

// ---------------------------------------------------------------------------------------
// Answering (shared by the form and the JSON endpoint)

/// An answer as a respondent sends it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicAnswer {
    /// The score on the survey's scale (NPS 0–10, CSAT 1–5, CES 1–7).
    score: i64,
    /// Free text.
    #[serde(default)]
    comment: Option<String>,
    /// A personal link's token (`t` in the link).
    #[serde(default)]
    token: Option<String>,
    /// web, widget, link or qr for anonymous answers (a token's channel wins).
    #[serde(default)]
    channel: Option<String>,
    /// Answers to extra questions by key.
    #[serde(default)]
    extra: BTreeMap<String, String>,
}

/// What the respondent is asked next.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerReceipt {
    /// The stored answer.
    answer_id: AnswerId,
    /// detractor, passive or promoter.
    segment: Segment,
    /// The follow-up question for that segment, if the survey has one.
    follow_up: Option<Bilingual>,
    /// Sign the follow-up text with this (to `POST /api/v1/public/answers/comment`).
    follow_up_token: String,
}

const MAX_FREE_TEXT: usize = 2000;

fn free_text(field: &str, raw: &str) -> ApiResult<Text> {
    if raw.chars().count() > MAX_FREE_TEXT {
        return Err(ApiError::invalid_field(
            field,
            format!("must be at most {MAX_FREE_TEXT} characters"),
        ));
    }
    Text::parse(raw.trim()).map_err(|e| ApiError::invalid_field(field, e.message))
}

async fn submit(
    state: &AppState,
    id: SurveyId,
    input: PublicAnswer,
) -> ApiResult<(Survey, Answer)> {
    let survey = match state.store.survey(id).await {
        Ok(s) if s.active => s,
        Ok(_) | Err(StoreError::NotFound { .. }) => {
            return Err(ApiError::not_found(format!(
                "survey {id} not found or closed"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let score = Score::parse(survey.kind, input.score)
        .map_err(|e| ApiError::invalid_field("score", e.message))?;
    let (respondent, nonce, channel) = match input.token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => match Grant::verify(token, &state.config.surveys.secret) {
            Some(Grant::Answer {
                survey: s,
                respondent,
                nonce,
                channel,
            }) if s == survey.id => (Some(respondent), Some(nonce), channel),
            _ => return Err(invalid_link()),
        },
        None => {
            if !survey.allow_anonymous {
                return Err(ApiError::forbidden(
                    "this survey is answered through a personal link",
                ));
            }
            let channel = match input.channel.as_deref() {
                None | Some("") => Channel::Web,
                Some(code) => Channel::from_code(code)
                    .filter(|c| {
                        matches!(
                            c,
                            Channel::Web | Channel::Widget | Channel::Link | Channel::Qr
                        )
                    })
                    .ok_or_else(|| {
                        ApiError::invalid_field("channel", "must be web, widget, link or qr")
                    })?,
            };
            (None, None, channel)
        }
    };
    let mut extra = BTreeMap::new();
    for (key, value) in &input.extra {
        if !survey.extra_questions.iter().any(|q| q.key.as_str() == key) {
            return Err(ApiError::invalid_field(
                format!("extra.{key}"),
                "no such question",
            ));
        }
        let text = free_text(&format!("extra.{key}"), value)?;
        if !text.is_empty() {
            extra.insert(key.clone(), text);
        }
    }
    let segment = match respondent {
        Some(r) => match state.store.respondent(r).await {
            Ok(r) => r.segment.map(|s| s.as_str().to_owned()),
            // Erased since the link was sent: the answer stays anonymous.
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let answer = Answer {
        id: AnswerId::new(),
        survey_id: survey.id,
        respondent_id: respondent,
        token_nonce: nonce,
        score,
        channel,
        segment,
        comment: free_text("comment", input.comment.as_deref().unwrap_or_default())?,
        extra,
        answered_at: cxmap_domain::now(),
    };
    match state.store.add_answer(&answer).await {
        Ok(()) => Ok((survey, answer)),
        Err(StoreError::AlreadyExists(_)) => Err(ApiError::already_answered()),
        // The respondent was erased between the token check and the insert.
        Err(StoreError::NotFound { .. }) if respondent.is_some() => Err(ApiError::not_found(
            "this link's respondent no longer exists",
        )),
        Err(e) => Err(e.into()),
    }
}

fn invalid_link() -> ApiError {
    ApiError::invalid_link()
}

fn receipt(state: &AppState, survey: &Survey, answer: &Answer) -> AnswerReceipt {
    let segment = answer.score.segment();
    AnswerReceipt {
        answer_id: answer.id,
        segment,
        follow_up: survey.follow_up.for_segment(segment).cloned(),
        follow_up_token: Grant::FollowUp {
            survey: survey.id,
            answer: answer.id,
        }
        .sign(&state.config.surveys.secret),
    }
}

/// Records an answer (public; CORS open; rate limited per address).
#[utoipa::path(post, path = "/api/v1/public/surveys/{id}/answers", tag = "surveys",
    params(("id" = SurveyId, Path)), request_body = PublicAnswer, security(()),
    responses((status = 201, body = AnswerReceipt), (status = 409, description = "the personal link was already used", body = crate::api::ErrorBody),
        (status = 422, body = crate::api::ErrorBody), (status = 429, body = crate::api::ErrorBody)))]
pub async fn submit_json(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<SurveyId>,
    ApiJson(input): ApiJson<PublicAnswer>,
) -> ApiResult<(StatusCode, axum::Json<AnswerReceipt>)> {
    rate_check(&state, ip)?;
    let (survey, answer) = submit(&state, id, input).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(receipt(&state, &survey, &answer)),
    ))
}

/// The follow-up text of an answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpText {
    /// `follow_up_token` from the answer's receipt.
    token: String,
    /// The text.
    comment: String,
}

async fn set_followup(state: &AppState, token: &str, comment: &str) -> ApiResult<SurveyId> {
    let Some(Grant::FollowUp { survey, answer }) =
        Grant::verify(token, &state.config.surveys.secret)
    else {
        return Err(invalid_link());
    };
    let text = free_text("comment", comment)?;
    state.store.set_answer_comment(answer, &text).await?;
    Ok(survey)
}

/// Adds the follow-up text to an answer (public; CORS open; rate limited).
#[utoipa::path(post, path = "/api/v1/public/answers/comment", tag = "surveys",
    request_body = FollowUpText, security(()),
    responses((status = 204), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn comment_json(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<FollowUpText>,
) -> ApiResult<StatusCode> {
    rate_check(&state, ip)?;
    set_followup(&state, &input.token, &input.comment).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------
// The hosted page

#[derive(Deserialize, Default)]
struct PageQuery {
    lang: Option<Lang>,
    t: Option<String>,
    ch: Option<String>,
    score: Option<i64>,
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Ko => "ko",
        Lang::En => "en",
    }
}

/// The respondent-facing frame: mobile first, large touch targets, visible focus.
fn frame(lang: Lang, title: &str, colour: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="{code}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title><style>
:root{{--c:{colour}}}
body{{font-family:"Noto Sans KR","NanumGothic","Apple SD Gothic Neo",system-ui,sans-serif;margin:0;color:#1f2933;background:#f5f7fa;line-height:1.5}}
main{{max-width:560px;margin:0 auto;padding:20px 16px}}
.card{{background:#fff;border-radius:12px;padding:20px;box-shadow:0 1px 3px #0002}}
h1{{font-size:1.2rem;margin:0 0 12px}} fieldset{{border:0;padding:0;margin:0}} legend{{padding:0}}
.scale{{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0}}
.scale label{{flex:1 0 2.6em;position:relative}}
.scale input{{position:absolute;opacity:0;width:100%;height:100%;margin:0;cursor:pointer}}
.scale span{{display:flex;align-items:center;justify-content:center;min-height:44px;border:2px solid var(--c);border-radius:8px;font-weight:600}}
.scale input:checked+span{{background:var(--c);color:#fff}}
.scale input:focus-visible+span{{outline:3px solid #1f2933;outline-offset:2px}}
.anchors{{display:flex;justify-content:space-between;font-size:.85rem;color:#52606d}}
textarea{{width:100%;box-sizing:border-box;min-height:6em;font:inherit;padding:8px;border:1px solid #9aa5b1;border-radius:8px}}
label.q{{display:block;margin:14px 0 4px;font-weight:600}}
button{{background:var(--c);color:#fff;border:0;border-radius:8px;padding:12px 20px;font:inherit;font-weight:700;margin-top:14px;min-height:44px;cursor:pointer}}
button:focus-visible{{outline:3px solid #1f2933;outline-offset:2px}}
.alert{{background:#fde8e8;border-left:4px solid #c81e1e;padding:8px 12px}} .logo{{max-height:48px;margin-bottom:12px}}
nav{{text-align:right;font-size:.9rem;margin-bottom:8px}} nav a{{color:#1f2933;margin-left:10px}}
</style></head><body><main>{body}</main></body></html>"#,
        code = lang_code(lang),
        title = escape(title),
        colour = escape(colour),
    )
}

fn colour_of(survey: &Survey) -> &str {
    survey
        .branding
        .colour
        .as_ref()
        .map_or("#1f6feb", |c| c.as_str())
}

fn page(
    status: StatusCode,
    lang: Lang,
    survey: Option<&Survey>,
    title: &str,
    body: &str,
) -> Response {
    let colour = survey.map_or("#1f6feb", colour_of);
    let logo = survey
        .and_then(|s| s.branding.logo_url.as_ref())
        .map(|u| format!("<img class=logo src=\"{}\" alt=\"\">", escape(u.as_str())))
        .unwrap_or_default();
    let mut response = (
        status,
        Html(frame(
            lang,
            title,
            colour,
            &format!("{logo}<div class=card>{body}</div>"),
        )),
    )
        .into_response();
    // Personal links carry a token: keep it out of referrers and caches.
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn message_page(
    status: StatusCode,
    lang: Lang,
    survey: Option<&Survey>,
    heading: &str,
    text: &str,
) -> Response {
    page(
        status,
        lang,
        survey,
        heading,
        &format!("<h1>{}</h1><p>{}</p>", escape(heading), escape(text)),
    )
}

fn form_html(survey: &Survey, lang: Lang, q: &PageQuery, error: Option<&str>) -> String {
    let id = survey.id;
    let (min, max) = survey.kind.scale();
    let (lo, hi) = survey.kind.anchors(lang);
    let mut keep = String::new();
    if let Some(t) = &q.t {
        keep.push_str(&format!("&t={}", escape(t)));
    }
    if let Some(ch) = &q.ch {
        keep.push_str(&format!("&ch={}", escape(ch)));
    }
    let mut html = format!(
        "<nav aria-label=\"{nav}\"><a href=\"/s/{id}?lang=ko{keep}\" lang=ko>한국어</a><a href=\"/s/{id}?lang=en{keep}\" lang=en>English</a></nav>",
        nav = t(lang, "언어", "Language"),
    );
    if let Some(error) = error {
        html.push_str(&format!("<p class=alert role=alert>{}</p>", escape(error)));
    }
    html.push_str(&format!(
        "<form method=post action=\"/s/{id}?lang={code}\"><fieldset aria-describedby=anchors><legend><h1>{question}</h1></legend><div class=scale>",
        code = lang_code(lang),
        question = escape(&survey.question(lang)),
    ));
    for v in min..=max {
        let checked = if q.score == Some(i64::from(v)) {
            " checked"
        } else {
            ""
        };
        html.push_str(&format!(
            "<label><input type=radio name=score value={v} required{checked}><span>{v}</span></label>"
        ));
    }
    html.push_str(&format!(
        "</div><p class=anchors id=anchors><span>{min} = {lo}</span><span>{max} = {hi}</span></p></fieldset>",
        lo = escape(lo),
        hi = escape(hi),
    ));
    for question in &survey.extra_questions {
        let key = question.key.as_str();
        html.push_str(&format!(
            "<label class=q for=x_{key}>{}</label><textarea id=x_{key} name=x_{key} maxlength={MAX_FREE_TEXT}></textarea>",
            escape(question.prompt.get(lang))
        ));
    }
    if let Some(token) = &q.t {
        html.push_str(&format!(
            "<input type=hidden name=t value=\"{}\">",
            escape(token)
        ));
    }
    if let Some(ch) = &q.ch {
        html.push_str(&format!(
            "<input type=hidden name=ch value=\"{}\">",
            escape(ch)
        ));
    }
    html.push_str(&format!(
        "<button type=submit>{}</button></form>",
        t(lang, "보내기", "Send")
    ));
    html
}

async fn survey_page(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SurveyId>,
    axum::extract::Query(q): axum::extract::Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = pick_lang(q.lang, &headers);
    match state.store.survey(id).await {
        Ok(survey) if survey.active => {
            let body = form_html(&survey, lang, &q, None);
            page(
                StatusCode::OK,
                lang,
                Some(&survey),
                &survey.question(lang),
                &body,
            )
        }
        Ok(_) | Err(StoreError::NotFound { .. }) => not_found_page(lang),
        Err(e) => ApiError::from(e).into_response(),
    }
}

fn not_found_page(lang: Lang) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        lang,
        None,
        t(lang, "설문을 찾을 수 없습니다", "Survey not found"),
        t(
            lang,
            "이 설문은 없거나 마감되었습니다.",
            "This survey does not exist or has closed.",
        ),
    )
}

/// Turns an answering error into the page a respondent should see.
fn error_page(state_survey: Option<&Survey>, lang: Lang, q: &PageQuery, e: ApiError) -> Response {
    match (e.code, state_survey) {
        ("already_answered", s) => message_page(
            StatusCode::CONFLICT,
            lang,
            s,
            t(lang, "이미 응답해 주셨습니다", "You have already answered"),
            t(
                lang,
                "이 링크로는 이미 응답이 접수되었습니다. 소중한 의견에 다시 한번 감사드립니다.",
                "We already have your answer from this link. Thank you again for your feedback.",
            ),
        ),
        ("invalid_link", s) => message_page(
            StatusCode::FORBIDDEN,
            lang,
            s,
            t(lang, "링크가 올바르지 않습니다", "This link is not valid"),
            t(
                lang,
                "받으신 메시지의 링크를 그대로 열어 주세요.",
                "Please open the link exactly as it came in your message.",
            ),
        ),
        ("invalid_field", Some(s)) => {
            let message = if e.field.as_deref() == Some("score") {
                t(lang, "점수를 하나 골라 주세요.", "Please choose a score.").to_owned()
            } else {
                e.message.clone()
            };
            let body = form_html(s, lang, q, Some(&message));
            page(
                StatusCode::UNPROCESSABLE_ENTITY,
                lang,
                Some(s),
                &s.question(lang),
                &body,
            )
        }
        ("not_found", _) => not_found_page(lang),
        ("rate_limited", s) => message_page(
            StatusCode::TOO_MANY_REQUESTS,
            lang,
            s,
            t(
                lang,
                "잠시 후 다시 시도해 주세요",
                "Please try again shortly",
            ),
            t(lang, "요청이 너무 많습니다.", "Too many requests."),
        ),
        ("forbidden", s) => message_page(
            StatusCode::FORBIDDEN,
            lang,
            s,
            t(lang, "개인 링크가 필요합니다", "A personal link is needed"),
            t(
                lang,
                "이 설문은 받으신 개인 링크로만 응답할 수 있습니다.",
                "This survey is answered through the personal link you received.",
            ),
        ),
        _ => e.into_response(),
    }
}

async fn submit_form(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<SurveyId>,
    axum::extract::Query(q): axum::extract::Query<PageQuery>,
    headers: HeaderMap,
    axum::extract::Form(fields): axum::extract::Form<Vec<(String, String)>>,
) -> Response {
    let lang = pick_lang(q.lang, &headers);
    let survey = state.store.survey(id).await.ok();
    let mut input = PublicAnswer::default();
    let mut score_field = None;
    for (name, value) in &fields {
        match name.as_str() {
            "score" => score_field = Some(value.clone()),
            "t" => input.token = Some(value.clone()),
            "ch" => input.channel = Some(value.clone()),
            "comment" => input.comment = Some(value.clone()),
            other => {
                if let Some(key) = other.strip_prefix("x_") {
                    input.extra.insert(key.to_owned(), value.clone());
                }
            }
        }
    }
    let page_q = PageQuery {
        lang: Some(lang),
        t: input.token.clone(),
        ch: input.channel.clone(),
        score: None,
    };
    let result = match score_field.as_deref().map(str::trim).map(str::parse::<i64>) {
        Some(Ok(score)) => {
            input.score = score;
            match rate_check(&state, ip) {
                Ok(()) => submit(&state, id, input).await,
                Err(e) => Err(e),
            }
        }
        _ => Err(ApiError::invalid_field("score", "choose a score")),
    };
    match result {
        Ok((survey, answer)) => thanks_page(&state, lang, &survey, &answer),
        Err(e) => error_page(survey.as_ref(), lang, &page_q, e),
    }
}

fn thanks_page(state: &AppState, lang: Lang, survey: &Survey, answer: &Answer) -> Response {
    let receipt = receipt(state, survey, answer);
    let mut body = format!(
        "<h1>{}</h1><p>{}</p>",
        t(
            lang,
            "응답해 주셔서 감사합니다",
            "Thank you for your answer"
        ),
        t(
            lang,
            "소중한 의견은 서비스 개선에 사용됩니다.",
            "Your feedback helps us improve."
        ),
    );
    if let Some(question) = &receipt.follow_up {
        body.push_str(&format!(
            "<form method=post action=\"/s/{id}/followup?lang={code}\"><label class=q for=comment>{q}</label>\
             <textarea id=comment name=comment required maxlength={MAX_FREE_TEXT}></textarea>\
             <input type=hidden name=ft value=\"{ft}\"><button type=submit>{send}</button></form>",
            id = survey.id,
            code = lang_code(lang),
            q = escape(question.get(lang)),
            ft = escape(&receipt.follow_up_token),
            send = t(lang, "보내기", "Send"),
        ));
    }
    page(
        StatusCode::OK,
        lang,
        Some(survey),
        t(lang, "감사합니다", "Thank you"),
        &body,
    )
}

#[derive(Deserialize)]
struct FollowUpForm {
    ft: String,
    comment: String,
}

async fn followup_form(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<SurveyId>,
    axum::extract::Query(q): axum::extract::Query<PageQuery>,
    headers: HeaderMap,
    axum::extract::Form(form): axum::extract::Form<FollowUpForm>,
) -> Response {
    let lang = pick_lang(q.lang, &headers);
    let survey = state.store.survey(id).await.ok();
    let result = match rate_check(&state, ip) {
        Ok(()) => set_followup(&state, &form.ft, &form.comment).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => message_page(
            StatusCode::OK,
            lang,
            survey.as_ref(),
            t(lang, "감사합니다", "Thank you"),
            t(
                lang,
                "의견이 전달되었습니다.",
                "Your comment has been received.",
            ),
        ),
        Err(e) => error_page(survey.as_ref(), lang, &PageQuery::default(), e),
    }
}

// ---------------------------------------------------------------------------------------
// Unsubscribe

#[derive(Deserialize)]
struct TokenQuery {
    t: Option<String>,
    lang: Option<Lang>,
}

async fn unsubscribe_page(
    axum::extract::Query(q): axum::extract::Query<TokenQuery>,
    headers: HeaderMap,
) -> Response {
    // A GET only shows the button: link scanners must not unsubscribe anyone.
    let lang = pick_lang(q.lang, &headers);
    let token = q.t.unwrap_or_default();
    let body = format!(
        "<h1>{h}</h1><p>{p}</p><form method=post action=\"/s/unsubscribe?t={tk}&amp;lang={code}\"><button type=submit>{b}</button></form>",
        h = t(lang, "설문 수신 거부", "Unsubscribe from surveys"),
        p = t(
            lang,
            "앞으로 설문 메시지를 받지 않으시려면 아래 버튼을 눌러 주세요.",
            "Press the button to stop receiving survey messages."
        ),
        tk = escape(&token),
        code = lang_code(lang),
        b = t(lang, "수신 거부", "Unsubscribe"),
    );
    page(
        StatusCode::OK,
        lang,
        None,
        t(lang, "수신 거부", "Unsubscribe"),
        &body,
    )
}

/// RFC 8058 one-click (`List-Unsubscribe=One-Click` body) and the page's button both land here.
async fn unsubscribe(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<TokenQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = pick_lang(q.lang, &headers);
    let Some(Grant::Unsubscribe { respondent }) =
        q.t.as_deref()
            .and_then(|t| Grant::verify(t, &state.config.surveys.secret))
    else {
        return error_page(None, lang, &PageQuery::default(), invalid_link());
    };
    match state
        .store
        .unsubscribe(respondent, cxmap_domain::now())
        .await
    {
        // Erased respondents are as unsubscribed as can be.
        Ok(()) | Err(StoreError::NotFound { .. }) => message_page(
            StatusCode::OK,
            lang,
            None,
            t(lang, "수신 거부되었습니다", "You are unsubscribed"),
            t(
                lang,
                "더 이상 설문 메시지를 보내지 않겠습니다.",
                "We will not send you survey messages any more.",
            ),
        ),
        Err(e) => ApiError::from(e).into_response(),
    }
}

// ---------------------------------------------------------------------------------------
// Widget and QR

const WIDGET_JS: &str = include_str!("widget.js");

async fn widget_js(State(state): State<AppState>, ApiPath(id): ApiPath<SurveyId>) -> Response {
    let survey = match state.store.survey(id).await {
        Ok(s) if s.active => s,
        Ok(_) | Err(StoreError::NotFound { .. }) => {
            return ApiError::not_found(format!("survey {id} not found or closed")).into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let (min, max) = survey.kind.scale();
    let texts = |lang: Lang| {
        let (lo, hi) = survey.kind.anchors(lang);
        serde_json::json!({
            "q": survey.question(lang),
            "lo": format!("{min} = {lo}"),
            "hi": format!("{max} = {hi}"),
            "thanks": t(lang, "응답해 주셔서 감사합니다.", "Thank you for your answer."),
            "thanks2": t(lang, "의견이 전달되었습니다.", "Your comment has been received."),
            "send": t(lang, "보내기", "Send"),
            "error": t(lang, "전송하지 못했습니다. 다시 시도해 주세요.", "Could not send. Please try again."),
        })
    };
    let config = serde_json::json!({
        "id": survey.id, "min": min, "max": max, "colour": colour_of(&survey),
        "ko": texts(Lang::Ko), "en": texts(Lang::En),
    });
    // `<` escaped so that the config can never close a surrounding script element.
    let config = config.to_string().replace('<', "\\u003c");
    let body = WIDGET_JS.replace("__CONFIG__", &config);
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

async fn qr_svg(State(state): State<AppState>, ApiPath(id): ApiPath<SurveyId>) -> Response {
    match state.store.survey(id).await {
        Ok(_) => {}
        Err(e) => return ApiError::from(e).into_response(),
    }
    let url = format!(
        "{}/s/{id}?ch=qr",
        state.config.public_url.trim_end_matches('/')
    );
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(256, 256)
                .quiet_zone(true)
                .build();
            ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
        }
        Err(e) => ApiError::internal(e).into_response(),
    }
}
