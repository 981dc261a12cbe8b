//! Tracked links: create, list, read, change (disable, expire, re-target), statistics, QR
//! codes, and the per-journey click rollup. Editors manage links; viewers read them.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use cxmap_domain::{JourneyId, LinkId, Role, Slug, TouchpointId, WorkspaceId};
use cxmap_store::{ClickScope, Link, StoreError, User, Utm};
use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::access;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Principal};
use crate::links::{qr, stats, target};

/// The caller's address, for per-IP limits.
pub struct ClientIp(pub std::net::IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(ClientIp(crate::redirect::client_ip(
            &parts.extensions,
            &parts.headers,
            state.links.config().trust_forwarded_for,
        )))
    }
}

/// UTM parameters appended to the target on redirect.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct UtmFields {
    /// `utm_source`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `utm_medium`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
    /// `utm_campaign`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// `utm_term`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    /// `utm_content`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

impl UtmFields {
    fn parse(self) -> ApiResult<Utm> {
        let clean = |name: &str, v: Option<String>| -> ApiResult<Option<String>> {
            let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
            if v.as_ref().is_some_and(|s| s.len() > target::MAX_UTM_LEN) {
                return Err(ApiError::invalid_field(
                    format!("utm.{name}"),
                    format!("must be at most {} bytes", target::MAX_UTM_LEN),
                ));
            }
            Ok(v)
        };
        Ok(Utm {
            source: clean("source", self.source)?,
            medium: clean("medium", self.medium)?,
            campaign: clean("campaign", self.campaign)?,
            term: clean("term", self.term)?,
            content: clean("content", self.content)?,
        })
    }
}

impl From<&Utm> for UtmFields {
    fn from(u: &Utm) -> Self {
        Self {
            source: u.source.clone(),
            medium: u.medium.clone(),
            campaign: u.campaign.clone(),
            term: u.term.clone(),
            content: u.content.clone(),
        }
    }
}

/// A new tracked link.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateLink {
    /// The http(s) URL to redirect to.
    pub target: String,
    /// The short code (letters, digits, `-`, `_`; at most 64); random when absent.
    #[serde(default)]
    pub slug: Option<String>,
    /// The touchpoint this link measures; it must be on a journey of the workspace.
    #[serde(default)]
    pub touchpoint_id: Option<TouchpointId>,
    /// The journey of the touchpoint (found automatically when absent).
    #[serde(default)]
    pub journey_id: Option<JourneyId>,
    /// The workspace (default: the journey's, else the caller's first where they are editor).
    #[serde(default)]
    pub workspace_id: Option<WorkspaceId>,
    /// UTM parameters.
    #[serde(default)]
    pub utm: Option<UtmFields>,
    /// After this instant the link answers "expired".
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Ask visitors for this password first.
    #[serde(default)]
    pub password: Option<String>,
}

/// `null` → `Some(None)`, absent → `None`.
fn nullable<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// A change to a link; absent fields stay, `null` clears.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLink {
    /// A new target.
    #[serde(default)]
    pub target: Option<String>,
    /// New UTM parameters (replace the old ones).
    #[serde(default)]
    pub utm: Option<UtmFields>,
    /// Set or (null) clear the expiry.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub expires_at: Option<Option<DateTime<Utc>>>,
    /// Set or (null) remove the password.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub password: Option<Option<String>>,
    /// Disable (true) or re-enable (false).
    #[serde(default)]
    pub disabled: Option<bool>,
    /// Attach to another touchpoint of the same workspace, or (null) detach.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<TouchpointId>)]
    pub touchpoint_id: Option<Option<TouchpointId>>,
}

/// A link as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkView {
    /// Its id.
    pub id: LinkId,
    /// The short code.
    pub slug: String,
    /// The public short URL.
    pub short_url: String,
    /// The URL the QR code encodes (the short URL marked as a scan).
    pub qr_url: String,
    /// The target without UTM.
    pub target: String,
    /// Where a visitor lands: the target with UTM parameters.
    pub redirect_url: String,
    /// UTM parameters.
    pub utm: UtmFields,
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// The journey of its touchpoint.
    pub journey_id: Option<JourneyId>,
    /// The touchpoint it measures.
    pub touchpoint_id: Option<TouchpointId>,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// Disabled links answer a page, not a redirect.
    pub disabled: bool,
    /// Visitors must enter a password first.
    pub password_protected: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

fn view(state: &AppState, link: &Link) -> LinkView {
    LinkView {
        id: link.id,
        slug: link.slug.to_string(),
        short_url: state.links.short_url(&link.slug),
        qr_url: state.links.qr_url(&link.slug),
        target: link.target.clone(),
        redirect_url: target::location(&link.target, &link.utm),
        utm: UtmFields::from(&link.utm),
        workspace_id: link.workspace_id,
        journey_id: link.journey_id,
        touchpoint_id: link.touchpoint_id,
        expires_at: link.expires_at,
        disabled: link.disabled,
        password_protected: link.password_hash.is_some(),
        created_at: link.created_at,
        updated_at: link.updated_at,
    }
}

fn check_target(state: &AppState, raw: &str) -> ApiResult<String> {
    state
        .links
        .validate_target(raw)
        .map(String::from)
        .map_err(|e| ApiError::invalid_field("target", e.to_string()))
}

async fn hash_password(password: Option<String>) -> ApiResult<Option<String>> {
    let Some(password) = password else {
        return Ok(None);
    };
    if !(4..=200).contains(&password.chars().count()) {
        return Err(ApiError::invalid_field(
            "password",
            "must be 4 to 200 characters",
        ));
    }
    tokio::task::spawn_blocking(move || crate::passwords::hash(&password))
        .await
        .map_err(ApiError::internal)?
        .map(Some)
        .map_err(ApiError::internal)
}

/// The journey (of a workspace the caller edits) that holds `touchpoint`.
async fn journey_of_touchpoint(
    state: &AppState,
    user: &User,
    touchpoint: TouchpointId,
    workspace: Option<WorkspaceId>,
) -> ApiResult<(WorkspaceId, JourneyId)> {
    for (ws, role) in state.store.workspaces_of(user.id).await? {
        if workspace.is_some_and(|w| w != ws.id) || !role.allows(Role::Editor) {
            continue;
        }
        for project in state.store.projects(ws.id).await? {
            for summary in state.store.journeys(project.id).await? {
                let journey = state.store.journey(summary.id).await?;
                if journey.touchpoint(touchpoint).is_some() {
                    return Ok((ws.id, journey.id));
                }
            }
        }
    }
    Err(ApiError::invalid_field(
        "touchpoint_id",
        "no touchpoint with this id on a journey you can edit",
    ))
}

/// Where a new or moved link belongs: (workspace, journey, touchpoint).
async fn placement(
    state: &AppState,
    user: &User,
    workspace: Option<WorkspaceId>,
    journey: Option<JourneyId>,
    touchpoint: Option<TouchpointId>,
) -> ApiResult<(WorkspaceId, Option<JourneyId>, Option<TouchpointId>)> {
    if let Some(journey_id) = journey {
        let (journey, _) = access::journey(state, user, journey_id, Role::Editor).await?;
        let ws = state.store.project(journey.project_id).await?.workspace_id;
        if workspace.is_some_and(|w| w != ws) {
            return Err(ApiError::invalid_field(
                "journey_id",
                "the journey is in another workspace",
            ));
        }
        if let Some(tp) = touchpoint
            && journey.touchpoint(tp).is_none()
        {
            return Err(ApiError::invalid_field(
                "touchpoint_id",
                "the touchpoint is not on this journey",
            ));
        }
        return Ok((ws, Some(journey_id), touchpoint));
    }
    if let Some(tp) = touchpoint {
        let (ws, journey) = journey_of_touchpoint(state, user, tp, workspace).await?;
        return Ok((ws, Some(journey), Some(tp)));
    }
    if let Some(ws) = workspace {
        access::workspace(state, user, ws, Role::Editor).await?;
        return Ok((ws, None, None));
    }
    let first = state
        .store
        .workspaces_of(user.id)
        .await?
        .into_iter()
        .find(|(_, role)| role.allows(Role::Editor))
        .ok_or_else(|| ApiError::forbidden("you are not an editor of any workspace"))?;
    Ok((first.0.id, None, None))
}

fn random_slug() -> ApiResult<Slug> {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let text: String = (0..7)
        .map(|_| {
            let i = rng.random_range(0..ALPHABET.len());
            char::from(ALPHABET.get(i).copied().unwrap_or(b'x'))
        })
        .collect();
    Slug::parse(&text).map_err(|e| ApiError::internal(e.message))
}

/// Creates a tracked link (editor). Answers 201 with `slug` and `short_url`.
#[utoipa::path(post, path = "/api/v1/links", tag = "links", request_body = CreateLink,
    responses((status = 201, body = LinkView), (status = 409, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody), (status = 429, body = crate::api::ErrorBody)))]
pub async fn create_link(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Principal(user): Principal,
    ApiJson(body): ApiJson<CreateLink>,
) -> ApiResult<impl IntoResponse> {
    if !state.links.allow_create(ip) {
        return Err(ApiError::rate_limited());
    }
    let target = check_target(&state, &body.target)?;
    let utm = body.utm.unwrap_or_default().parse()?;
    let custom = body
        .slug
        .map(|s| Slug::parse(s.trim()).map_err(|e| ApiError::invalid_field("slug", e.message)))
        .transpose()?;
    let (workspace_id, journey_id, touchpoint_id) = placement(
        &state,
        &user,
        body.workspace_id,
        body.journey_id,
        body.touchpoint_id,
    )
    .await?;
    let password_hash = hash_password(body.password).await?;
    let now = cxmap_domain::now();
    let mut link = Link {
        id: LinkId::new(),
        slug: match &custom {
            Some(slug) => slug.clone(),
            None => random_slug()?,
        },
        workspace_id,
        journey_id,
        touchpoint_id,
        target,
        utm,
        password_hash,
        expires_at: body.expires_at,
        disabled: false,
        created_by: Some(user.id),
        created_at: now,
        updated_at: now,
    };
    let mut attempts = 0;
    loop {
        match state.store.create_link(&link).await {
            Ok(()) => break,
            // A random slug collided: draw another.
            Err(StoreError::AlreadyExists(_)) if custom.is_none() && attempts < 5 => {
                attempts += 1;
                link.slug = random_slug()?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    state.links.remember(&link);
    Ok((StatusCode::CREATED, Json(view(&state, &link))))
}

/// Which links to list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only this workspace's (default: every workspace of the caller).
    workspace_id: Option<WorkspaceId>,
    /// Only this journey's.
    journey_id: Option<JourneyId>,
    /// Only this touchpoint's.
    touchpoint_id: Option<TouchpointId>,
}

/// Lists links (viewer).
#[utoipa::path(get, path = "/api/v1/links", tag = "links", params(ListQuery),
    responses((status = 200, body = Vec<LinkView>)))]
pub async fn list_links(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<LinkView>>> {
    let mut links = if let Some(journey) = q.journey_id {
        access::journey(&state, &user, journey, Role::Viewer).await?;
        state.store.journey_links(journey).await?
    } else if let Some(ws) = q.workspace_id {
        access::workspace(&state, &user, ws, Role::Viewer).await?;
        state.store.links(ws).await?
    } else {
        let mut all = Vec::new();
        for (ws, _) in state.store.workspaces_of(user.id).await? {
            all.extend(state.store.links(ws.id).await?);
        }
        all
    };
    if let Some(tp) = q.touchpoint_id {
        links.retain(|l| l.touchpoint_id == Some(tp));
    }
    Ok(Json(links.iter().map(|l| view(&state, l)).collect()))
}

/// The link behind `slug` if the caller has `needed` in its workspace (404 otherwise).
async fn link_for(state: &AppState, user: &User, slug: &str, needed: Role) -> ApiResult<Link> {
    let missing = || ApiError::not_found(format!("link {slug} not found"));
    let slug = Slug::parse(slug).map_err(|_| missing())?;
    let link = state.store.link_by_slug(&slug).await.map_err(|e| match e {
        StoreError::NotFound { .. } => missing(),
        other => other.into(),
    })?;
    access::workspace(state, user, link.workspace_id, needed)
        .await
        .map_err(|e| if e.code == "not_found" { missing() } else { e })?;
    Ok(link)
}

/// One link (viewer).
#[utoipa::path(get, path = "/api/v1/links/{slug}", tag = "links", params(("slug" = String, Path)),
    responses((status = 200, body = LinkView), (status = 404, body = crate::api::ErrorBody)))]
pub async fn get_link(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<LinkView>> {
    let link = link_for(&state, &user, &slug, Role::Viewer).await?;
    Ok(Json(view(&state, &link)))
}

/// Changes a link (editor): target, UTM, expiry, password, disabled, touchpoint.
#[utoipa::path(patch, path = "/api/v1/links/{slug}", tag = "links", params(("slug" = String, Path)),
    request_body = UpdateLink,
    responses((status = 200, body = LinkView), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn update_link(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateLink>,
) -> ApiResult<Json<LinkView>> {
    let mut link = link_for(&state, &user, &slug, Role::Editor).await?;
    if let Some(target) = &body.target {
        link.target = check_target(&state, target)?;
    }
    if let Some(utm) = body.utm {
        link.utm = utm.parse()?;
    }
    if let Some(expires_at) = body.expires_at {
        link.expires_at = expires_at;
    }
    if let Some(password) = body.password {
        link.password_hash = hash_password(password).await?;
    }
    if let Some(disabled) = body.disabled {
        link.disabled = disabled;
    }
    if let Some(touchpoint) = body.touchpoint_id {
        let (_, journey, tp) = match touchpoint {
            Some(tp) => placement(&state, &user, Some(link.workspace_id), None, Some(tp)).await?,
            None => (link.workspace_id, None, None),
        };
        link.journey_id = journey;
        link.touchpoint_id = tp;
    }
    link.updated_at = cxmap_domain::now();
    state.store.update_link(&link).await?;
    state.links.remember(&link);
    Ok(Json(view(&state, &link)))
}

/// The analysis window.
#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsQuery {
    /// Only the last N days (1–3650), with a zero-filled daily series; default: all time.
    days: Option<u32>,
}

fn check_days(days: Option<u32>) -> ApiResult<Option<u32>> {
    match days {
        Some(d) if !(1..=3650).contains(&d) => {
            Err(ApiError::invalid_field("days", "must be 1 to 3650"))
        }
        other => Ok(other),
    }
}

/// Click statistics of a link (viewer): `clicks`, `human_clicks`, `bot_clicks`, unique
/// visitors, daily series, referrers, devices, browsers, countries, QR vs link.
#[utoipa::path(get, path = "/api/v1/links/{slug}/stats", tag = "links",
    params(("slug" = String, Path), StatsQuery),
    responses((status = 200, body = stats::LinkStats), (status = 404, body = crate::api::ErrorBody)))]
pub async fn link_stats(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Json<stats::LinkStats>> {
    let days = check_days(q.days)?;
    let link = link_for(&state, &user, &slug, Role::Viewer).await?;
    let today = cxmap_domain::now().date_naive();
    let since = stats::window(today, days)
        .and_then(|(first, _)| first.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    let scope = ClickScope::Link(link.id);
    state.links.flush_clicks().await;
    let counts = state.store.click_counts(scope, since).await?;
    let unique = state.store.unique_visitors(scope, since).await?;
    Ok(Json(stats::link_stats(&counts, unique, days, today)))
}

/// How to draw a QR code.
#[derive(Debug, Deserialize, IntoParams)]
pub struct QrQuery {
    /// Side in pixels (64–4096, default 512).
    size: Option<u32>,
    /// Quiet zone in modules (0–16, default 4).
    margin: Option<u32>,
    /// Error correction `L`, `M` (default), `Q` or `H`.
    ecc: Option<String>,
}

impl QrQuery {
    fn options(&self) -> ApiResult<qr::QrOptions> {
        let size = self.size.unwrap_or(512);
        if !(64..=qr::MAX_SIZE).contains(&size) {
            return Err(ApiError::invalid_field("size", "must be 64 to 4096 pixels"));
        }
        let margin = self.margin.unwrap_or(4);
        if margin > qr::MAX_MARGIN {
            return Err(ApiError::invalid_field("margin", "must be 0 to 16 modules"));
        }
        let ecc = match &self.ecc {
            None => qrcode::EcLevel::M,
            Some(text) => qr::parse_ecc(text)
                .ok_or_else(|| ApiError::invalid_field("ecc", "must be L, M, Q or H"))?,
        };
        Ok(qr::QrOptions { size, margin, ecc })
    }
}

fn image(content_type: &'static str, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The link's QR code as SVG (viewer); it encodes the short URL with `?src=qr`.
#[utoipa::path(get, path = "/api/v1/links/{slug}/qr.svg", tag = "links",
    params(("slug" = String, Path), QrQuery),
    responses((status = 200, content_type = "image/svg+xml", body = String)))]
pub async fn qr_svg(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<QrQuery>,
) -> ApiResult<Response> {
    let options = q.options()?;
    let link = link_for(&state, &user, &slug, Role::Viewer).await?;
    let svg = qr::svg(&state.links.qr_url(&link.slug), options).map_err(ApiError::internal)?;
    Ok(image("image/svg+xml", svg))
}

/// The link's QR code as PNG (viewer).
#[utoipa::path(get, path = "/api/v1/links/{slug}/qr.png", tag = "links",
    params(("slug" = String, Path), QrQuery),
    responses((status = 200, content_type = "image/png", body = Vec<u8>)))]
pub async fn qr_png(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<QrQuery>,
) -> ApiResult<Response> {
    let options = q.options()?;
    let link = link_for(&state, &user, &slug, Role::Viewer).await?;
    let url = state.links.qr_url(&link.slug);
    let png = tokio::task::spawn_blocking(move || qr::png(&url, options))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(image("image/png", png))
}

/// The rollup window.
#[derive(Debug, Deserialize, IntoParams)]
pub struct JourneyStatsQuery {
    /// The last N days (1–3650, default 30).
    days: Option<u32>,
}

/// Click analytics of a journey by touchpoint (viewer): most and least used touchpoints,
/// 7-day trends, untracked touchpoints, daily series.
#[utoipa::path(get, path = "/api/v1/journeys/{id}/links/stats", tag = "links",
    params(("id" = JourneyId, Path), JourneyStatsQuery),
    responses((status = 200, body = stats::JourneyLinkStats), (status = 404, body = crate::api::ErrorBody)))]
pub async fn journey_link_stats(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    ApiQuery(q): ApiQuery<JourneyStatsQuery>,
) -> ApiResult<Json<stats::JourneyLinkStats>> {
    let days = check_days(q.days)?.unwrap_or(30);
    let (journey, _) = access::journey(&state, &user, id, Role::Viewer).await?;
    Ok(Json(state.links.journey_stats(&journey, days).await?))
}
