//! Stages, touchpoints, personas and opportunities of a journey. Each handler turns the request
//! into one [`JourneyOp`] and goes through [`edit`], so REST edits and co-editing share one path.

use axum::extract::State;
use axum::http::StatusCode;
use cxmap_domain::ops::{OpportunityPatch, PersonaPatch, StagePatch, TouchpointPatch};
use cxmap_domain::{
    Journey, JourneyId, JourneyOp, Opportunity, OpportunityId, Persona, PersonaId, Stage, StageId,
    Text, Title, Touchpoint, TouchpointId,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::journeys::{Versioned, edit};
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch, Principal};

/// Where to insert a new element.
#[derive(Deserialize, IntoParams)]
pub struct At {
    /// Position in its list; the end when absent.
    index: Option<usize>,
}

/// A new stage.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStage {
    name: Title,
    #[serde(default)]
    description: Text,
    index: Option<usize>,
}

/// A new position.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveTo {
    /// The stage to move into (touchpoints only; their current stage when absent).
    stage_id: Option<StageId>,
    /// The new position.
    index: usize,
}

fn required<T>(value: Option<T>, field: &str) -> ApiResult<T> {
    value.ok_or_else(|| ApiError::invalid_field(field, "is required"))
}

fn created<T: serde::Serialize>(
    journey: &Journey,
    element: Option<T>,
) -> ApiResult<(StatusCode, Versioned<T>)> {
    let element =
        element.ok_or_else(|| ApiError::internal("created element missing after edit"))?;
    Ok((StatusCode::CREATED, Versioned(journey.version, element)))
}

fn stage_of(journey: &Journey, id: StageId) -> Option<Stage> {
    journey.stages.iter().find(|s| s.id == id).cloned()
}

fn persona_of(journey: &Journey, id: PersonaId) -> Option<Persona> {
    journey.personas.iter().find(|p| p.id == id).cloned()
}

fn opportunity_of(journey: &Journey, id: OpportunityId) -> Option<Opportunity> {
    journey.opportunities.iter().find(|o| o.id == id).cloned()
}

fn found<T>(element: Option<T>) -> ApiResult<T> {
    element.ok_or_else(|| ApiError::internal("edited element missing after edit"))
}

/// Adds a stage (editor).
#[utoipa::path(post, path = "/api/v1/journeys/{id}/stages", tag = "stages",
    params(("id" = JourneyId, Path)), request_body = NewStage, responses((status = 201, body = Stage)))]
pub async fn add_stage(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    IfMatch(base): IfMatch,
    ApiJson(body): ApiJson<NewStage>,
) -> ApiResult<(StatusCode, Versioned<Stage>)> {
    let mut stage = Stage::named(body.name);
    stage.description = body.description;
    let stage_id = stage.id;
    let journey = edit(
        &state,
        &user,
        id,
        base,
        &[JourneyOp::AddStage {
            stage,
            index: body.index,
        }],
    )
    .await?;
    created(&journey, stage_of(&journey, stage_id))
}

/// Changes a stage (editor).
#[utoipa::path(patch, path = "/api/v1/journeys/{id}/stages/{stage_id}", tag = "stages",
    params(("id" = JourneyId, Path), ("stage_id" = StageId, Path)), request_body = StagePatch, responses((status = 200, body = Stage)))]
pub async fn update_stage(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((id, stage_id)): ApiPath<(JourneyId, StageId)>,
    IfMatch(base): IfMatch,
    ApiJson(patch): ApiJson<StagePatch>,
) -> ApiResult<Versioned<Stage>> {
    let journey = edit(
        &state,
        &user,
        id,
        base,
        &[JourneyOp::UpdateStage {
            id: stage_id,
            patch,
        }],
    )
    .await?;
    Ok(Versioned(
        journey.version,
        found(stage_of(&journey, stage_id))?,
    ))
}

/// Removes a stage and its touchpoints (editor).
#[utoipa::path(delete, path = "/api/v1/journeys/{id}/stages/{stage_id}", tag = "stages",
    params(("id" = JourneyId, Path), ("stage_id" = StageId, Path)), responses((status = 204)))]
pub async fn delete_stage(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((id, stage_id)): ApiPath<(JourneyId, StageId)>,
    IfMatch(base): IfMatch,
) -> ApiResult<StatusCode> {
    edit(
        &state,
        &user,
        id,
        base,
        &[JourneyOp::RemoveStage { id: stage_id }],
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves a stage to a new position (editor).
#[utoipa::path(post, path = "/api/v1/journeys/{id}/stages/{stage_id}/move", tag = "stages",
    params(("id" = JourneyId, Path), ("stage_id" = StageId, Path)), request_body = MoveTo, responses((status = 200, body = Journey)))]
pub async fn move_stage(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((id, stage_id)): ApiPath<(JourneyId, StageId)>,
    IfMatch(base): IfMatch,
    ApiJson(body): ApiJson<MoveTo>,
) -> ApiResult<Versioned<Journey>> {
    let journey = edit(
        &state,
        &user,
        id,
        base,
        &[JourneyOp::MoveStage {
            id: stage_id,
            index: body.index,
        }],
    )
    .await?;
    Ok(Versioned(journey.version, journey))
}

/// Adds a touchpoint to a stage (editor); the body is a touchpoint with at least `name`.
#[utoipa::path(post, path = "/api/v1/journeys/{id}/stages/{stage_id}/touchpoints", tag = "touchpoints",
    params(("id" = JourneyId, Path), ("stage_id" = StageId, Path), At), request_body = TouchpointPatch, responses((status = 201, body = Touchpoint)))]
pub async fn add_touchpoint(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((id, stage_id)): ApiPath<(JourneyId, StageId)>,
    ApiQuery(at): ApiQuery<At>,
    IfMatch(base): IfMatch,
    ApiJson(patch): ApiJson<TouchpointPatch>,
) -> ApiResult<(StatusCode, Versioned<Touchpoint>)> {
    let mut touchpoint = Touchpoint::named(required(patch.name.clone(), "name")?);
    patch.apply_to(&mut touchpoint);
    let tp_id = touchpoint.id;
    let journey = edit(
        &state,
        &user,
        id,
        base,
        &[JourneyOp::AddTouchpoint {
            stage_id,
            touchpoint,
            index: at.index,
        }],
    )
    .await?;
    created(&journey, journey.touchpoint(tp_id).cloned())
}

/// Changes a touchpoint (editor): only the fields sent change.
#[utoipa::path(patch, path = "/api/v1/journeys/{id}/touchpoints/{touchpoint_id}", tag = "touchpoints",
    params(("id" = JourneyId, Path), ("touchpoint_id" = TouchpointId, Path)), request_body = TouchpointPatch, responses((status = 200, body = Touchpoint)))]
pub async fn update_touchpoint(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((id, tp_id)): ApiPath<(JourneyId, TouchpointId)>,
    IfMatch(base): IfMatch,
    ApiJson(patch): ApiJson<TouchpointPatch>,
) -> ApiResult<Versioned<Touchpoint>> {
    let journey = edit(
        &state,
        &user,
        id,
        base,
        &[JourneyOp::UpdateTouchpoint { id: tp_id, patch }],
    )
    .await?;
    Ok(Versioned(
        journey.version,
        found(journey.touchpoint(tp_id).cloned())?,
    ))
}

/// Removes a touchpoint (editor).
#[utoipa::path(delete, path = "/api/v1/journeys/{id}/touchpoints/{touchpoint_id}", tag = "touchpoints",
    params(("id" = JourneyId, Path), ("touchpoint_id" = TouchpointId, Path)), responses((status = 204)))]
pub async fn delete_touchpoint(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((id, tp_id)): ApiPath<(JourneyId, TouchpointId)>,
    IfMatch(base): IfMatch,
) -> ApiResult<StatusCode> {
    edit(
        &state,
        &user,
        id,
        base,
        &[JourneyOp::RemoveTouchpoint { id: tp_id }],
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves a touchpoint within or across stages (editor).
#[utoipa::path(post, path = "/api/v1/journeys/{id}/touchpoints/{touchpoint_id}/move", tag = "touchpoints",
    params(("id" = JourneyId, Path), ("touchpoint_id" = TouchpointId, Path)), request_body = MoveTo, responses((status = 200, body = Journey)))]
pub async fn move_touchpoint(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((id, tp_id)): ApiPath<(JourneyId, TouchpointId)>,
    IfMatch(base): IfMatch,
    ApiJson(body): ApiJson<MoveTo>,
) -> ApiResult<Versioned<Journey>> {
    let current = state.store.journey(id).await?;
    let stage_id = match body.stage_id {
        Some(stage) => stage,
        None => current
            .touchpoints()
            .find(|(_, tp)| tp.id == tp_id)
            .map(|(stage, _)| stage.id)
            .ok_or_else(|| {
                ApiError::not_found(format!("touchpoint {tp_id} is not on this journey"))
            })?,
    };
    let journey = edit(
        &state,
        &user,
        id,
        base,
        &[JourneyOp::MoveTouchpoint {
            id: tp_id,
            stage_id,
            index: body.index,
        }],
    )
    .await?;
    Ok(Versioned(journey.version, journey))
}

/// Adds a persona (editor); the body needs at least `name`.
#[utoipa::path(post, path = "/api/v1/journeys/{id}/personas", tag = "personas",
    params(("id" = JourneyId, Path)), request_body = PersonaPatch, responses((status = 201, body = Persona)))]
pub async fn add_persona(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    IfMatch(base): IfMatch,
    ApiJson(patch): ApiJson<PersonaPatch>,
) -> ApiResult<(StatusCode, Versioned<Persona>)> {
    let mut persona = Persona {
        id: PersonaId::new(),
        name: required(patch.name.clone(), "name")?,
        role: None,
        description: Text::default(),
        goals: Vec::new(),
        frustrations: Vec::new(),
        quote: Text::default(),
        avatar: Text::default(),
    };
    patch.apply_to(&mut persona);
    let persona_id = persona.id;
    let journey = edit(
        &state,
        &user,
        id,
        base,
        &[JourneyOp::AddPersona { persona }],
    )
    .await?;
    created(&journey, persona_of(&journey, persona_id))
}

/// Changes a persona (editor).
#[utoipa::path(patch, path = "/api/v1/journeys/{id}/personas/{persona_id}", tag = "personas",
    params(("id" = JourneyId, Path), ("persona_id" = PersonaId, Path)), request_body = PersonaPatch, responses((status = 200, body = Persona)))]
pub async fn update_persona(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((id, persona_id)): ApiPath<(JourneyId, PersonaId)>,
    IfMatch(base): IfMatch,
    ApiJson(patch): ApiJson<PersonaPatch>,
) -> ApiResult<Versioned<Persona>> {
    let journey = edit(
        &state,
        &user,
        id,
        base,
        &[JourneyOp::UpdatePersona {
            id: persona_id,
            patch,
        }],
    )
    .await?;
    Ok(Versioned(
        journey.version,
        found(persona_of(&journey, persona_id))?,
    ))
}

/// Removes a persona (editor).
#[utoipa::path(delete, path = "/api/v1/journeys/{id}/personas/{persona_id}", tag = "personas",
    params(("id" = JourneyId, Path), ("persona_id" = PersonaId, Path)), responses((status = 204)))]
pub async fn delete_persona(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((id, persona_id)): ApiPath<(JourneyId, PersonaId)>,
    IfMatch(base): IfMatch,
) -> ApiResult<StatusCode> {
    edit(
        &state,
        &user,
        id,
        base,
        &[JourneyOp::RemovePersona { id: persona_id }],
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds an opportunity (editor); the body needs at least `title`.
#[utoipa::path(post, path = "/api/v1/journeys/{id}/opportunities", tag = "opportunities",
    params(("id" = JourneyId, Path)), request_body = OpportunityPatch, responses((status = 201, body = Opportunity)))]
pub async fn add_opportunity(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    IfMatch(base): IfMatch,
    ApiJson(patch): ApiJson<OpportunityPatch>,
) -> ApiResult<(StatusCode, Versioned<Opportunity>)> {
    let mut opportunity = Opportunity {
        id: OpportunityId::new(),
        title: required(patch.title.clone(), "title")?,
        description: Text::default(),
        touchpoint_id: None,
        impact: Default::default(),
        effort: Default::default(),
        status: Default::default(),
    };
    patch.apply_to(&mut opportunity);
    let opp_id = opportunity.id;
    let journey = edit(
        &state,
        &user,
        id,
        base,
        &[JourneyOp::AddOpportunity { opportunity }],
    )
    .await?;
    created(&journey, opportunity_of(&journey, opp_id))
}

/// Changes an opportunity (editor).
#[utoipa::path(patch, path = "/api/v1/journeys/{id}/opportunities/{opportunity_id}", tag = "opportunities",
    params(("id" = JourneyId, Path), ("opportunity_id" = OpportunityId, Path)), request_body = OpportunityPatch, responses((status = 200, body = Opportunity)))]
pub async fn update_opportunity(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((id, opp_id)): ApiPath<(JourneyId, OpportunityId)>,
    IfMatch(base): IfMatch,
    ApiJson(patch): ApiJson<OpportunityPatch>,
) -> ApiResult<Versioned<Opportunity>> {
    let journey = edit(
        &state,
        &user,
        id,
        base,
        &[JourneyOp::UpdateOpportunity { id: opp_id, patch }],
    )
    .await?;
    Ok(Versioned(
        journey.version,
        found(opportunity_of(&journey, opp_id))?,
    ))
}

/// Removes an opportunity (editor).
#[utoipa::path(delete, path = "/api/v1/journeys/{id}/opportunities/{opportunity_id}", tag = "opportunities",
    params(("id" = JourneyId, Path), ("opportunity_id" = OpportunityId, Path)), responses((status = 204)))]
pub async fn delete_opportunity(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((id, opp_id)): ApiPath<(JourneyId, OpportunityId)>,
    IfMatch(base): IfMatch,
) -> ApiResult<StatusCode> {
    edit(
        &state,
        &user,
        id,
        base,
        &[JourneyOp::RemoveOpportunity { id: opp_id }],
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
