//! Mapping event names onto a journey's touchpoints: rules (exact, prefix, regex) and the list
//! of event names no rule maps yet.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use cxmap_domain::{JourneyId, MappingRule, MappingRuleId, MatchKind, Role, TouchpointId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::access;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Principal};
use crate::journey_events::mapper;

/// A new rule.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    kind: MatchKind,
    pattern: String,
    touchpoint_id: TouchpointId,
}

/// A rule change; absent fields stay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleChange {
    kind: Option<MatchKind>,
    pattern: Option<String>,
    touchpoint_id: Option<TouchpointId>,
}

/// The mapping rules of a journey, oldest first.
#[utoipa::path(get, path = "/api/v1/journeys/{id}/event-rules", tag = "events",
    params(("id" = JourneyId, Path)), responses((status = 200, body = Vec<MappingRule>)))]
pub async fn list_rules(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
) -> ApiResult<Json<Vec<MappingRule>>> {
    access::journey(&state, &user, id, Role::Viewer).await?;
    Ok(Json(state.store.mapping_rules(id).await?))
}

/// Adds a rule (editor): events whose name matches `pattern` count for `touchpoint_id`.
/// An exact rule wins over a prefix rule, the longest prefix over shorter ones, and regular
/// expressions are tried last, oldest first.
#[utoipa::path(post, path = "/api/v1/journeys/{id}/event-rules", tag = "events",
    params(("id" = JourneyId, Path)), request_body = NewRule,
    responses((status = 201, body = MappingRule), (status = 422, body = crate::api::ErrorBody)))]
pub async fn add_rule(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    ApiJson(body): ApiJson<NewRule>,
) -> ApiResult<impl IntoResponse> {
    let (journey, _) = access::journey(&state, &user, id, Role::Editor).await?;
    let rule = MappingRule {
        id: MappingRuleId::new(),
        journey_id: id,
        kind: body.kind,
        pattern: body.pattern,
        touchpoint_id: body.touchpoint_id,
        created_at: cxmap_domain::now(),
    };
    rule.validate(&journey)?;
    state.store.add_mapping_rule(&rule).await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// Changes a rule (editor).
#[utoipa::path(patch, path = "/api/v1/event-rules/{id}", tag = "events",
    params(("id" = MappingRuleId, Path)), request_body = RuleChange,
    responses((status = 200, body = MappingRule), (status = 422, body = crate::api::ErrorBody)))]
pub async fn update_rule(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<MappingRuleId>,
    ApiJson(body): ApiJson<RuleChange>,
) -> ApiResult<Json<MappingRule>> {
    let mut rule = state.store.mapping_rule(id).await?;
    let (journey, _) = access::journey(&state, &user, rule.journey_id, Role::Editor).await?;
    if let Some(kind) = body.kind {
        rule.kind = kind;
    }
    if let Some(pattern) = body.pattern {
        rule.pattern = pattern;
    }
    if let Some(touchpoint_id) = body.touchpoint_id {
        rule.touchpoint_id = touchpoint_id;
    }
    rule.validate(&journey)?;
    state.store.update_mapping_rule(&rule).await?;
    Ok(Json(rule))
}

/// Deletes a rule (editor).
#[utoipa::path(delete, path = "/api/v1/event-rules/{id}", tag = "events",
    params(("id" = MappingRuleId, Path)), responses((status = 204)))]
pub async fn delete_rule(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<MappingRuleId>,
) -> ApiResult<StatusCode> {
    let rule = state.store.mapping_rule(id).await?;
    access::journey(&state, &user, rule.journey_id, Role::Editor).await?;
    state.store.delete_mapping_rule(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An event name and how many events carry it.
#[derive(Serialize, ToSchema)]
pub struct NameCount {
    event: String,
    count: u64,
}

/// How much of the workspace's events the journey's rules cover.
#[derive(Serialize, ToSchema)]
pub struct Unmapped {
    /// All events of the workspace.
    events: u64,
    /// Events that a rule maps to a touchpoint of this journey.
    mapped_events: u64,
    /// Names no rule maps, most frequent first (ties by name).
    unmapped: Vec<NameCount>,
}

/// The event names that no rule of the journey maps to a touchpoint, with their counts.
#[utoipa::path(get, path = "/api/v1/journeys/{id}/events/unmapped", tag = "events",
    params(("id" = JourneyId, Path)), responses((status = 200, body = Unmapped)))]
pub async fn unmapped(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
) -> ApiResult<Json<Unmapped>> {
    let (journey, _) = access::journey(&state, &user, id, Role::Viewer).await?;
    let workspace = state.store.project(journey.project_id).await?.workspace_id;
    let mapper = mapper(&state, &journey).await?;
    let mut answer = Unmapped {
        events: 0,
        mapped_events: 0,
        unmapped: Vec::new(),
    };
    for (event, count) in state.store.event_name_counts(workspace).await? {
        answer.events += count;
        if mapper.touchpoint_of(&event).is_some() {
            answer.mapped_events += count;
        } else {
            answer.unmapped.push(NameCount { event, count });
        }
    }
    answer
        .unmapped
        .sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.event.cmp(&b.event)));
    Ok(Json(answer))
}
