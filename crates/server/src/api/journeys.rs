//! Journeys: list, create (blank, default stages or a template), read, change, delete, and
//! batches of edit operations. Every change goes through [`edit`], which checks the role and
//! applies operations with optimistic concurrency.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cxmap_domain::ops::JourneyPatch;
use cxmap_domain::{
    Journey, JourneyId, JourneyKind, JourneyOp, Lang, ProjectId, Role, Text, Title, Version,
    templates::{self, SeedJourney},
};
use cxmap_store::JourneySummary;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::access;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, IfMatch, Principal};

/// A journey answered with its version as the ETag, for `If-Match` on the next edit.
pub struct Versioned<T>(pub Version, pub T);

impl<T: serde::Serialize> IntoResponse for Versioned<T> {
    fn into_response(self) -> Response {
        let mut response = Json(self.1).into_response();
        if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", self.0)) {
            response.headers_mut().insert(header::ETAG, etag);
        }
        response
    }
}

/// Applies `ops` to a journey the caller may edit, based on `base` (from `If-Match`) when given.
pub async fn edit(
    state: &AppState,
    user: &cxmap_store::User,
    id: JourneyId,
    base: Option<Version>,
    ops: &[JourneyOp],
) -> ApiResult<Journey> {
    access::journey(state, user, id, Role::Editor).await?;
    crate::collab::commit(&state.hub, id, user.id, base, ops.to_vec()).await
}

/// Which starting point a new journey has.
#[derive(Deserialize, ToSchema, Default, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// No stages.
    Blank,
    /// The five default stages of the seed articles.
    #[default]
    DefaultStages,
    /// The Korean online-shopping journey.
    RetailOnlineShopping,
    /// The English B2B SaaS journey.
    B2bSaas,
    /// The seed article's purchase moment (in `lang`).
    Purchase,
    /// The seed article's inquiry/complaint handling (in `lang`).
    InquiryComplaint,
    /// The seed article's usage support (in `lang`).
    UsageSupport,
    /// The seed article's reviews and ratings (in `lang`).
    Review,
}

/// A new journey.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewJourney {
    /// Its title (the template's when absent).
    title: Option<Title>,
    #[serde(default)]
    kind: Option<JourneyKind>,
    #[serde(default)]
    goal: Option<Text>,
    #[serde(default)]
    template: Template,
    /// Language of the default stage names.
    #[serde(default)]
    lang: Lang,
}

/// The journeys of a project, most recently changed first.
#[utoipa::path(get, path = "/api/v1/projects/{id}/journeys", tag = "journeys",
    params(("id" = ProjectId, Path)), responses((status = 200, body = Vec<Object>)))]
pub async fn list_journeys(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<ProjectId>,
) -> ApiResult<Json<Vec<JourneySummary>>> {
    access::project(&state, &user, id, Role::Viewer).await?;
    Ok(Json(state.store.journeys(id).await?))
}

/// Creates a journey (editor).
#[utoipa::path(post, path = "/api/v1/projects/{id}/journeys", tag = "journeys",
    params(("id" = ProjectId, Path)), request_body = NewJourney, responses((status = 201, body = Journey), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_journey(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<ProjectId>,
    ApiJson(body): ApiJson<NewJourney>,
) -> ApiResult<impl IntoResponse> {
    access::project(&state, &user, id, Role::Editor).await?;
    let now = cxmap_domain::now();
    let untitled = || {
        Title::parse(if body.lang == Lang::Ko {
            "새 여정"
        } else {
            "New journey"
        })
    };
    let mut journey = match body.template {
        Template::Blank => Journey::new(id, body.title.clone().map_or_else(untitled, Ok)?, now),
        Template::DefaultStages => Journey::with_default_stages(
            id,
            body.title.clone().map_or_else(untitled, Ok)?,
            body.lang,
            now,
        ),
        Template::RetailOnlineShopping => templates::retail_online_shopping(id, now),
        Template::B2bSaas => templates::b2b_saas(id, now),
        Template::Purchase => templates::seed_journey(SeedJourney::Purchase, body.lang, id, now),
        Template::InquiryComplaint => {
            templates::seed_journey(SeedJourney::InquiryComplaint, body.lang, id, now)
        }
        Template::UsageSupport => {
            templates::seed_journey(SeedJourney::UsageSupport, body.lang, id, now)
        }
        Template::Review => templates::seed_journey(SeedJourney::Review, body.lang, id, now),
    };
    if let Some(title) = body.title {
        journey.title = title;
    }
    if let Some(kind) = body.kind {
        journey.kind = kind;
    }
    if let Some(goal) = body.goal {
        journey.goal = goal;
    }
    state.store.create_journey(&journey).await?;
    Ok((StatusCode::CREATED, Versioned(journey.version, journey)))
}

/// A journey with everything on it; the ETag is its version.
#[utoipa::path(get, path = "/api/v1/journeys/{id}", tag = "journeys",
    params(("id" = JourneyId, Path)), responses((status = 200, body = Journey), (status = 404, body = crate::api::ErrorBody)))]
pub async fn get_journey(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
) -> ApiResult<Versioned<Journey>> {
    let (journey, _) = access::journey(&state, &user, id, Role::Viewer).await?;
    Ok(Versioned(journey.version, journey))
}

/// Changes a journey's own fields (editor). Send `If-Match: "VERSION"` to refuse stale edits.
#[utoipa::path(patch, path = "/api/v1/journeys/{id}", tag = "journeys",
    params(("id" = JourneyId, Path)), request_body = JourneyPatch,
    responses((status = 200, body = Journey), (status = 409, body = crate::api::ErrorBody)))]
pub async fn update_journey(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    IfMatch(base): IfMatch,
    ApiJson(patch): ApiJson<JourneyPatch>,
) -> ApiResult<Versioned<Journey>> {
    let journey = edit(
        &state,
        &user,
        id,
        base,
        &[JourneyOp::UpdateJourney { patch }],
    )
    .await?;
    Ok(Versioned(journey.version, journey))
}

/// Deletes a journey (owner).
#[utoipa::path(delete, path = "/api/v1/journeys/{id}", tag = "journeys",
    params(("id" = JourneyId, Path)), responses((status = 204)))]
pub async fn delete_journey(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
) -> ApiResult<StatusCode> {
    access::journey(&state, &user, id, Role::Owner).await?;
    state.store.delete_journey(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A batch of edit operations, applied atomically.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpBatch {
    /// The version the edit is based on; a stale one answers 409 `version_conflict`.
    base_version: Option<Version>,
    /// The operations, applied in order.
    ops: Vec<JourneyOp>,
}

/// Applies a batch of operations atomically (editor): all land with one version bump, or none.
#[utoipa::path(post, path = "/api/v1/journeys/{id}/ops", tag = "journeys",
    params(("id" = JourneyId, Path)), request_body = OpBatch,
    responses((status = 200, body = Journey), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn apply_ops(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    IfMatch(header_base): IfMatch,
    ApiJson(batch): ApiJson<OpBatch>,
) -> ApiResult<Versioned<Journey>> {
    let journey = edit(
        &state,
        &user,
        id,
        batch.base_version.or(header_base),
        &batch.ops,
    )
    .await?;
    Ok(Versioned(journey.version, journey))
}
