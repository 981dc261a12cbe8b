//! Exports of a journey: the journey file, the rendered map (SVG, PNG, PDF) and the audit CSV;
//! and importing a journey file into a project.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cxmap_domain::{JourneyId, Lang, ProjectId, Role, file};
use cxmap_render::RenderOptions;
use serde::Deserialize;
use utoipa::IntoParams;

use super::journeys::Versioned;
use crate::AppState;
use crate::access;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, Principal};

/// Options of a map render.
#[derive(Deserialize, IntoParams)]
pub struct RenderQuery {
    /// Language of the lane labels (`ko` or `en`).
    #[serde(default)]
    lang: Lang,
}

pub(super) fn download(
    content_type: &'static str,
    filename: String,
    body: impl IntoResponse,
) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

async fn svg_of(
    state: &AppState,
    user: &cxmap_store::User,
    id: JourneyId,
    lang: Lang,
) -> ApiResult<String> {
    let (journey, _) = access::journey(state, user, id, Role::Viewer).await?;
    Ok(cxmap_render::render_svg(
        &journey,
        &render_options(state, &journey, lang).await?,
    ))
}

/// How every map render (exports and the read-only page) is drawn: the language and the
/// evidence overlay (click badges per touchpoint).
pub(crate) async fn render_options(
    state: &AppState,
    journey: &cxmap_domain::Journey,
    lang: Lang,
) -> ApiResult<RenderOptions> {
    Ok(RenderOptions {
        lang,
        overlay: merge_overlays([
            crate::journey_events::overlay(state, journey, lang).await?,
            state.links.map_overlay(journey, lang).await?,
            crate::surveys::overlay::survey_overlay(&*state.store, journey).await?,
        ]),
    })
}

/// Puts the badges of every evidence source side by side on each touchpoint.
fn merge_overlays<const N: usize>(
    sources: [std::collections::BTreeMap<cxmap_domain::TouchpointId, Vec<cxmap_render::Badge>>; N],
) -> std::collections::BTreeMap<cxmap_domain::TouchpointId, Vec<cxmap_render::Badge>> {
    let mut merged = std::collections::BTreeMap::new();
    for source in sources {
        for (touchpoint, badges) in source {
            merged
                .entry(touchpoint)
                .or_insert_with(Vec::new)
                .extend(badges);
        }
    }
    merged
}

/// The journey file (`cxmap.journey` v1), the same as `cxmap export`.
#[utoipa::path(get, path = "/api/v1/journeys/{id}/export", tag = "exports",
    params(("id" = JourneyId, Path)), responses((status = 200, content_type = "application/json", body = Object)))]
pub async fn export_journey(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
) -> ApiResult<Response> {
    let (journey, _) = access::journey(&state, &user, id, Role::Viewer).await?;
    Ok(download(
        "application/json",
        format!("journey-{id}.json"),
        file::to_string(&journey),
    ))
}

/// Import options.
#[derive(Deserialize, IntoParams)]
pub struct ImportQuery {
    /// Overwrite a journey with the same id instead of refusing.
    #[serde(default)]
    replace: bool,
}

/// Imports a journey file into a project (editor). The whole file lands or nothing does.
#[utoipa::path(post, path = "/api/v1/projects/{id}/import", tag = "exports",
    params(("id" = ProjectId, Path), ImportQuery), request_body(content = Object, content_type = "application/json"),
    responses((status = 201, body = cxmap_domain::Journey), (status = 422, body = crate::api::ErrorBody)))]
pub async fn import_journey(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<ProjectId>,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let project = access::project(&state, &user, id, Role::Editor).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::bad_request(format!("the file is not UTF-8: {e}")))?;
    let mut journey = file::parse(text).map_err(|e| match e {
        file::FileError::Syntax {
            path: Some(path),
            message,
            ..
        } => ApiError::invalid_field(path, message),
        file::FileError::Invalid(v) => {
            ApiError::invalid_field(format!("journey.{}", v.field), v.message)
        }
        other => ApiError::bad_request(other.to_string()),
    })?;
    journey.project_id = project.id;
    // A replaced journey keeps counting versions up, so live editors' op logs stay ordered.
    let replaced = match query.replace {
        true => state.store.journey(journey.id).await.ok(),
        false => None,
    };
    if let Some(old) = &replaced {
        journey.version = journey.version.max(old.version.next());
    }
    state
        .store
        .import_journey(&project, &journey, query.replace)
        .await?;
    if replaced.is_some() {
        state.hub.reset(&journey).await;
    }
    Ok((StatusCode::CREATED, Versioned(journey.version, journey)))
}

/// The map as SVG.
#[utoipa::path(get, path = "/api/v1/journeys/{id}/map.svg", tag = "exports",
    params(("id" = JourneyId, Path), RenderQuery), responses((status = 200, content_type = "image/svg+xml", body = String)))]
pub async fn map_svg(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    ApiQuery(q): ApiQuery<RenderQuery>,
) -> ApiResult<Response> {
    let svg = svg_of(&state, &user, id, q.lang).await?;
    Ok(download("image/svg+xml", format!("journey-{id}.svg"), svg))
}

/// The map as PNG (Korean fonts embedded).
#[utoipa::path(get, path = "/api/v1/journeys/{id}/map.png", tag = "exports",
    params(("id" = JourneyId, Path), RenderQuery), responses((status = 200, content_type = "image/png", body = Vec<u8>)))]
pub async fn map_png(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    ApiQuery(q): ApiQuery<RenderQuery>,
) -> ApiResult<Response> {
    let svg = svg_of(&state, &user, id, q.lang).await?;
    let png = tokio::task::spawn_blocking(move || cxmap_render::render_png(&svg, 2.0))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(download("image/png", format!("journey-{id}.png"), png))
}

/// The map as PDF (Korean fonts embedded).
#[utoipa::path(get, path = "/api/v1/journeys/{id}/map.pdf", tag = "exports",
    params(("id" = JourneyId, Path), RenderQuery), responses((status = 200, content_type = "application/pdf", body = Vec<u8>)))]
pub async fn map_pdf(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    ApiQuery(q): ApiQuery<RenderQuery>,
) -> ApiResult<Response> {
    let svg = svg_of(&state, &user, id, q.lang).await?;
    let pdf = tokio::task::spawn_blocking(move || cxmap_render::render_pdf(&svg))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(download(
        "application/pdf",
        format!("journey-{id}.pdf"),
        pdf,
    ))
}

/// The touchpoint audit table as CSV (UTF-8 with BOM so spreadsheet apps read Korean).
#[utoipa::path(get, path = "/api/v1/journeys/{id}/audit.csv", tag = "exports",
    params(("id" = JourneyId, Path)), responses((status = 200, content_type = "text/csv", body = String)))]
pub async fn audit_csv(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
) -> ApiResult<Response> {
    let (journey, _) = access::journey(&state, &user, id, Role::Viewer).await?;
    let csv = cxmap_domain::audit::to_csv(&journey);
    Ok(download(
        "text/csv; charset=utf-8",
        format!("audit-{id}.csv"),
        csv,
    ))
}
