//! The JSON API under `/api/v1`, with its OpenAPI document.

mod analytics;
mod auth;
mod comments;
mod elements;
mod event_rules;
mod events;
mod journeys;
pub(crate) mod links;
pub(crate) mod maps;
mod members;
pub(crate) mod projects;
mod shares;
mod surveys;

use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::http::header;
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_scalar::{Scalar, Servable};

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "cxmap API", description = "Customer journey maps wired to real measurement."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(crate::api::ErrorBody))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The error envelope every failing API call answers with.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct ErrorDetail {
    /// A stable snake_case code.
    code: String,
    /// A human-readable explanation.
    message: String,
    /// The field at fault, for `invalid_field`.
    field: Option<String>,
}

fn api_router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(projects::me))
        .routes(routes!(auth::signup))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::demo))
        .routes(routes!(members::list_members, members::add_member))
        .routes(routes!(members::update_member, members::remove_member))
        .routes(routes!(shares::create_share, shares::list_shares))
        .routes(routes!(shares::revoke_share))
        .routes(routes!(shares::accept_share))
        .routes(routes!(comments::my_mentions))
        .routes(routes!(crate::collab::live::live))
        .routes(routes!(projects::list_projects, projects::create_project))
        .routes(routes!(
            projects::get_project,
            projects::update_project,
            projects::delete_project
        ))
        .routes(routes!(journeys::list_journeys, journeys::create_journey))
        .routes(routes!(
            journeys::get_journey,
            journeys::update_journey,
            journeys::delete_journey
        ))
        .routes(routes!(journeys::apply_ops))
        .routes(routes!(maps::export_journey))
        .routes(routes!(maps::import_journey))
        .routes(routes!(maps::map_svg))
        .routes(routes!(maps::map_png))
        .routes(routes!(maps::map_pdf))
        .routes(routes!(maps::audit_csv))
        .routes(routes!(elements::add_stage))
        .routes(routes!(elements::update_stage, elements::delete_stage))
        .routes(routes!(elements::move_stage))
        .routes(routes!(elements::add_touchpoint))
        .routes(routes!(
            elements::update_touchpoint,
            elements::delete_touchpoint
        ))
        .routes(routes!(elements::move_touchpoint))
        .routes(routes!(elements::add_persona))
        .routes(routes!(elements::update_persona, elements::delete_persona))
        .routes(routes!(elements::add_opportunity))
        .routes(routes!(
            elements::update_opportunity,
            elements::delete_opportunity
        ))
        .routes(routes!(comments::list_comments, comments::add_comment))
        .routes(routes!(comments::update_comment, comments::delete_comment))
        .routes(routes!(events::ingest_events))
        .routes(routes!(events::import_events))
        .routes(routes!(event_rules::list_rules, event_rules::add_rule))
        .routes(routes!(event_rules::update_rule, event_rules::delete_rule))
        .routes(routes!(event_rules::unmapped))
        .routes(routes!(analytics::dfg))
        .routes(routes!(analytics::variants))
        .routes(routes!(analytics::funnel))
        .routes(routes!(analytics::attributes))
        .routes(routes!(analytics::touchpoints))
        .routes(routes!(analytics::bottlenecks))
        .routes(routes!(analytics::conformance))
        .routes(routes!(analytics::process_map))
        .routes(routes!(links::create_link, links::list_links))
        .routes(routes!(links::get_link, links::update_link))
        .routes(routes!(links::link_stats))
        .routes(routes!(links::qr_svg))
        .routes(routes!(links::qr_png))
        .routes(routes!(links::journey_link_stats))
        .routes(routes!(surveys::list_surveys, surveys::create_survey))
        .routes(routes!(
            surveys::get_survey,
            surveys::update_survey,
            surveys::delete_survey
        ))
        .routes(routes!(surveys::survey_results))
        .routes(routes!(surveys::create_link))
        .routes(routes!(surveys::list_sends, surveys::create_sends))
        .routes(routes!(
            surveys::get_respondent,
            surveys::put_respondent,
            surveys::erase_respondent
        ))
        .routes(routes!(surveys::get_policy, surveys::put_policy))
        .routes(routes!(surveys::list_triggers, surveys::create_trigger))
        .routes(routes!(surveys::delete_trigger))
        .routes(routes!(surveys::fire_trigger))
        .merge(crate::surveys::public::api_routes())
        .split_for_parts()
}

static OPENAPI: LazyLock<Arc<utoipa::openapi::OpenApi>> =
    LazyLock::new(|| Arc::new(api_router().1));

static OPENAPI_JSON: LazyLock<String> =
    LazyLock::new(|| openapi().to_pretty_json().unwrap_or_default());

/// The OpenAPI document of the API (built once).
pub fn openapi() -> Arc<utoipa::openapi::OpenApi> {
    OPENAPI.clone()
}

/// API routes, `/api/openapi.json`, the Scalar reference page at `/api/docs` and `/healthz`.
pub fn router() -> Router<AppState> {
    let (router, _) = api_router();
    router
        .route(
            "/api/openapi.json",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    OPENAPI_JSON.as_str(),
                )
            }),
        )
        .merge(Scalar::with_url("/api/docs", (*openapi()).clone()))
        .route("/healthz", get(crate::healthz))
}
