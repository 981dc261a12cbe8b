//! Surveys on touchpoints (editor API): definitions, results, links, sends, respondents,
//! triggers and the workspace's sending policy. Respondent-facing routes are in
//! `crate::surveys::public`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use cxmap_domain::survey::results::{self, SurveyResults};
use cxmap_domain::survey::schedule::SurveyPolicy;
use cxmap_domain::survey::{
    Branding, Channel, CustomerId, EventName, ExtraQuestion, FollowUps, Phone, Respondent,
    RespondentId, SendChannel, Survey, SurveyId, SurveyKind, SurveySend, Trigger, TriggerId,
    TriggerRule,
};
use cxmap_domain::{Email, JourneyId, Role, Title, TouchpointId, WorkspaceId};
use cxmap_store::{Scheduled, StoreError, User};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::access;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Principal};
use crate::surveys::token::Grant;
use crate::surveys::{self as engine, FireReport};

/// A survey the caller may act on with `needed`.
async fn survey_access(
    state: &AppState,
    user: &User,
    id: SurveyId,
    needed: Role,
) -> ApiResult<Survey> {
    let survey = state.store.survey(id).await?;
    access::workspace(state, user, survey.workspace_id, needed)
        .await
        .map_err(|e| {
            if e.code == "not_found" {
                ApiError::not_found(format!("survey {id} not found"))
            } else {
                e
            }
        })?;
    Ok(survey)
}

/// A survey with the links respondents use.
#[derive(Serialize, ToSchema)]
pub struct SurveyView {
    #[serde(flatten)]
    survey: Survey,
    /// The standard question in Korean and English.
    question: BTreeMap<String, String>,
    /// The hosted page.
    page_url: String,
    /// A shareable link (answers record channel `link`).
    link_url: String,
    /// The QR code (SVG) of the page with channel `qr`.
    qr_url: String,
    /// The widget: one script tag.
    widget_snippet: String,
}

fn view(state: &AppState, survey: Survey) -> SurveyView {
    let base = state.config.public_url.trim_end_matches('/');
    let id = survey.id;
    SurveyView {
        question: BTreeMap::from([
            ("ko".to_owned(), survey.question(cxmap_domain::Lang::Ko)),
            ("en".to_owned(), survey.question(cxmap_domain::Lang::En)),
        ]),
        page_url: format!("{base}/s/{id}"),
        link_url: format!("{base}/s/{id}?ch=link"),
        qr_url: format!("{base}/s/{id}/qr.svg"),
        widget_snippet: format!("<script src=\"{base}/s/{id}/widget.js\" async></script>"),
        survey,
    }
}

/// A new survey on a touchpoint.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSurvey {
    /// The touchpoint (on this journey).
    touchpoint_id: TouchpointId,
    /// nps, csat or ces.
    kind: SurveyKind,
    /// What the question names; the touchpoint's title when absent.
    subject: Option<Title>,
    #[serde(default)]
    follow_up: FollowUps,
    #[serde(default)]
    extra_questions: Vec<ExtraQuestion>,
    #[serde(default)]
    branding: Branding,
    /// Answers without a personal link (page, widget, QR); default true.
    allow_anonymous: Option<bool>,
}

/// Creates a survey on a touchpoint of the journey (editor).
#[utoipa::path(post, path = "/api/v1/journeys/{id}/surveys", tag = "surveys",
    params(("id" = JourneyId, Path)), request_body = NewSurvey,
    responses((status = 201, body = SurveyView), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_survey(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    ApiJson(body): ApiJson<NewSurvey>,
) -> ApiResult<(StatusCode, Json<SurveyView>)> {
    let (journey, _) = access::journey(&state, &user, id, Role::Editor).await?;
    let touchpoint = journey.touchpoint(body.touchpoint_id).ok_or_else(|| {
        ApiError::invalid_field("touchpoint_id", "no such touchpoint on this journey")
    })?;
    let project = state.store.project(journey.project_id).await?;
    let now = cxmap_domain::now();
    let survey = Survey {
        id: SurveyId::new(),
        workspace_id: project.workspace_id,
        journey_id: journey.id,
        touchpoint_id: touchpoint.id,
        kind: body.kind,
        subject: body.subject.unwrap_or_else(|| touchpoint.name.clone()),
        follow_up: body.follow_up,
        extra_questions: body.extra_questions,
        branding: body.branding,
        allow_anonymous: body.allow_anonymous.unwrap_or(true),
        active: true,
        created_at: now,
        updated_at: now,
    };
    survey.validate()?;
    state.store.create_survey(&survey).await?;
    Ok((StatusCode::CREATED, Json(view(&state, survey))))
}

/// Filter of the survey list.
#[derive(Deserialize, IntoParams)]
pub struct SurveyFilter {
    /// Only the surveys of this touchpoint.
    touchpoint_id: Option<TouchpointId>,
}

/// The surveys of a journey, optionally of one touchpoint.
#[utoipa::path(get, path = "/api/v1/journeys/{id}/surveys", tag = "surveys",
    params(("id" = JourneyId, Path), SurveyFilter), responses((status = 200, body = Vec<SurveyView>)))]
pub async fn list_surveys(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    ApiQuery(filter): ApiQuery<SurveyFilter>,
) -> ApiResult<Json<Vec<SurveyView>>> {
    access::journey(&state, &user, id, Role::Viewer).await?;
    let surveys = state.store.surveys_of_journey(id).await?;
    Ok(Json(
        surveys
            .into_iter()
            .filter(|s| filter.touchpoint_id.is_none_or(|t| s.touchpoint_id == t))
            .map(|s| view(&state, s))
            .collect(),
    ))
}

/// A survey.
#[utoipa::path(get, path = "/api/v1/surveys/{id}", tag = "surveys",
    params(("id" = SurveyId, Path)), responses((status = 200, body = SurveyView)))]
pub async fn get_survey(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<SurveyId>,
) -> ApiResult<Json<SurveyView>> {
    let survey = survey_access(&state, &user, id, Role::Viewer).await?;
    Ok(Json(view(&state, survey)))
}

/// A change to a survey (the kind is fixed: stored answers are on its scale).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyChange {
    touchpoint_id: Option<TouchpointId>,
    subject: Option<Title>,
    follow_up: Option<FollowUps>,
    extra_questions: Option<Vec<ExtraQuestion>>,
    branding: Option<Branding>,
    allow_anonymous: Option<bool>,
    active: Option<bool>,
}

/// Changes a survey (editor).
#[utoipa::path(patch, path = "/api/v1/surveys/{id}", tag = "surveys",
    params(("id" = SurveyId, Path)), request_body = SurveyChange, responses((status = 200, body = SurveyView)))]
pub async fn update_survey(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<SurveyId>,
    ApiJson(change): ApiJson<SurveyChange>,
) -> ApiResult<Json<SurveyView>> {
    let mut survey = survey_access(&state, &user, id, Role::Editor).await?;
    if let Some(tp) = change.touchpoint_id {
        let journey = state.store.journey(survey.journey_id).await?;
        if journey.touchpoint(tp).is_none() {
            return Err(ApiError::invalid_field(
                "touchpoint_id",
                "no such touchpoint on this journey",
            ));
        }
        survey.touchpoint_id = tp;
    }
    if let Some(v) = change.subject {
        survey.subject = v;
    }
    if let Some(v) = change.follow_up {
        survey.follow_up = v;
    }
    if let Some(v) = change.extra_questions {
        survey.extra_questions = v;
    }
    if let Some(v) = change.branding {
        survey.branding = v;
    }
    if let Some(v) = change.allow_anonymous {
        survey.allow_anonymous = v;
    }
    if let Some(v) = change.active {
        survey.active = v;
    }
    survey.updated_at = cxmap_domain::now();
    survey.validate()?;
    state.store.update_survey(&survey).await?;
    Ok(Json(view(&state, survey)))
}

/// Deletes a survey with its answers, sends and triggers (editor).
#[utoipa::path(delete, path = "/api/v1/surveys/{id}", tag = "surveys",
    params(("id" = SurveyId, Path)), responses((status = 204)))]
pub async fn delete_survey(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<SurveyId>,
) -> ApiResult<StatusCode> {
    survey_access(&state, &user, id, Role::Editor).await?;
    state.store.delete_survey(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The results: `{"kind","n","score","ci95",…}` with distribution, weekly trend, splits by
/// channel and segment, a thin-sample warning and the free-text answers.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/results", tag = "surveys",
    params(("id" = SurveyId, Path)), responses((status = 200, body = SurveyResults)))]
pub async fn survey_results(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<SurveyId>,
) -> ApiResult<Json<SurveyResults>> {
    let survey = survey_access(&state, &user, id, Role::Viewer).await?;
    let answers = state.store.answers(id).await?;
    Ok(Json(results::compute(survey.kind, &answers)))
}

/// A request for a link.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// A personal link for this customer (answers once); a shared link when absent.
    customer_id: Option<CustomerId>,
    /// link (default) or qr.
    channel: Option<String>,
}

/// A survey link.
#[derive(Serialize, ToSchema)]
pub struct SurveyLink {
    /// The URL to share.
    url: String,
    /// Its QR code (SVG) for shared links.
    #[serde(skip_serializing_if = "Option::is_none")]
    qr_url: Option<String>,
    /// The recorded channel.
    channel: Channel,
}

/// Makes a shared or personal link to the survey (editor).
#[utoipa::path(post, path = "/api/v1/surveys/{id}/links", tag = "surveys",
    params(("id" = SurveyId, Path)), request_body = LinkRequest, responses((status = 201, body = SurveyLink)))]
pub async fn create_link(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<SurveyId>,
    ApiJson(body): ApiJson<LinkRequest>,
) -> ApiResult<(StatusCode, Json<SurveyLink>)> {
    let survey = survey_access(&state, &user, id, Role::Editor).await?;
    let channel = match body.channel.as_deref() {
        None | Some("link") => Channel::Link,
        Some("qr") => Channel::Qr,
        Some(_) => return Err(ApiError::invalid_field("channel", "must be link or qr")),
    };
    let base = state.config.public_url.trim_end_matches('/');
    let link = match body.customer_id {
        None => SurveyLink {
            url: format!("{base}/s/{id}?ch={}", channel.code()),
            qr_url: Some(format!("{base}/s/{id}/qr.svg")),
            channel,
        },
        Some(customer) => {
            let respondent = state
                .store
                .respondent_by_customer(survey.workspace_id, &customer)
                .await?;
            let token = Grant::Answer {
                survey: id,
                respondent: respondent.id,
                nonce: Uuid::now_v7(),
                channel,
            }
            .sign(&state.config.surveys.secret);
            SurveyLink {
                url: format!("{base}/s/{id}?t={token}"),
                qr_url: None,
                channel,
            }
        }
    };
    Ok((StatusCode::CREATED, Json(link)))
}

/// Sends to schedule now.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// The respondents, by customer id.
    customer_ids: Vec<CustomerId>,
    /// email, sms or kakao.
    channel: SendChannel,
    /// When (default now); moved out of quiet hours.
    at: Option<DateTime<Utc>>,
}

/// What became of one requested send.
#[derive(Serialize, ToSchema)]
pub struct SendReceipt {
    customer_id: CustomerId,
    /// queued, capped, unsubscribed or unknown_customer.
    outcome: &'static str,
    send_id: Option<cxmap_domain::survey::SendId>,
}

/// Queues sends of the survey to respondents (editor); the frequency cap applies.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/sends", tag = "surveys",
    params(("id" = SurveyId, Path)), request_body = SendRequest, responses((status = 202, body = Vec<SendReceipt>)))]
pub async fn create_sends(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<SurveyId>,
    ApiJson(body): ApiJson<SendRequest>,
) -> ApiResult<(StatusCode, Json<Vec<SendReceipt>>)> {
    let survey = survey_access(&state, &user, id, Role::Editor).await?;
    if body.customer_ids.len() > 10_000 {
        return Err(ApiError::invalid_field(
            "customer_ids",
            "at most 10,000 per request",
        ));
    }
    let at = body.at.unwrap_or_else(cxmap_domain::now);
    let mut receipts = Vec::with_capacity(body.customer_ids.len());
    for customer_id in body.customer_ids {
        let respondent = match state
            .store
            .respondent_by_customer(survey.workspace_id, &customer_id)
            .await
        {
            Ok(r) => r,
            Err(StoreError::NotFound { .. }) => {
                receipts.push(SendReceipt {
                    customer_id,
                    outcome: "unknown_customer",
                    send_id: None,
                });
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if respondent.unsubscribed_at.is_some() {
            receipts.push(SendReceipt {
                customer_id,
                outcome: "unsubscribed",
                send_id: None,
            });
            continue;
        }
        let (outcome, send_id) =
            engine::queue(&*state.store, &respondent, id, body.channel, at, None).await?;
        receipts.push(match outcome {
            Scheduled::Queued => SendReceipt {
                customer_id,
                outcome: "queued",
                send_id: Some(send_id),
            },
            Scheduled::Capped | Scheduled::Duplicate => SendReceipt {
                customer_id,
                outcome: "capped",
                send_id: None,
            },
        });
    }
    Ok((StatusCode::ACCEPTED, Json(receipts)))
}

/// The sends of a survey with their states.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/sends", tag = "surveys",
    params(("id" = SurveyId, Path)), responses((status = 200, body = Vec<SurveySend>)))]
pub async fn list_sends(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<SurveyId>,
) -> ApiResult<Json<Vec<SurveySend>>> {
    survey_access(&state, &user, id, Role::Viewer).await?;
    Ok(Json(state.store.sends_of_survey(id).await?))
}

/// A respondent as the workspace's systems describe it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RespondentInput {
    email: Option<Email>,
    phone: Option<Phone>,
    segment: Option<Title>,
    lifecycle_stage: Option<Title>,
    /// Minutes east of UTC (540 = Korea).
    utc_offset_minutes: Option<i16>,
    /// Named dates for "N days after" triggers, e.g. `{"signup_date":"2025-03-01"}`.
    #[serde(default)]
    dates: BTreeMap<String, NaiveDate>,
}

/// A stored respondent and the triggers its change fired.
#[derive(Serialize, ToSchema)]
pub struct RespondentSaved {
    respondent: Respondent,
    fired: FireReport,
}

/// Creates or updates a respondent by customer id (editor); a lifecycle stage reached or a
/// new date fires the matching triggers.
#[utoipa::path(put, path = "/api/v1/workspaces/{id}/respondents/{customer_id}", tag = "surveys",
    params(("id" = WorkspaceId, Path), ("customer_id" = String, Path)), request_body = RespondentInput,
    responses((status = 200, body = RespondentSaved)))]
pub async fn put_respondent(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((workspace, customer)): ApiPath<(WorkspaceId, String)>,
    ApiJson(body): ApiJson<RespondentInput>,
) -> ApiResult<Json<RespondentSaved>> {
    access::workspace(&state, &user, workspace, Role::Editor).await?;
    let customer_id = CustomerId::parse(&customer)
        .map_err(|e| ApiError::invalid_field("customer_id", e.message))?;
    if let Some(m) = body.utc_offset_minutes
        && !(-840..=840).contains(&m)
    {
        return Err(ApiError::invalid_field(
            "utc_offset_minutes",
            "must be within ±840",
        ));
    }
    for key in body.dates.keys() {
        cxmap_domain::survey::QuestionKey::parse(key)
            .map_err(|e| ApiError::invalid_field(format!("dates.{key}"), e.message))?;
    }
    let now = cxmap_domain::now();
    let respondent = Respondent {
        id: RespondentId::new(),
        workspace_id: workspace,
        customer_id,
        email: body.email,
        phone: body.phone,
        segment: body.segment,
        lifecycle_stage: body.lifecycle_stage,
        utc_offset_minutes: body.utc_offset_minutes,
        dates: body.dates,
        unsubscribed_at: None,
        created_at: now,
        updated_at: now,
    };
    let (stored, previous) = state.store.upsert_respondent(&respondent).await?;
    let fired =
        engine::on_respondent_change(&*state.store, &stored, previous.as_ref(), now).await?;
    Ok(Json(RespondentSaved {
        respondent: stored,
        fired,
    }))
}

/// A respondent by customer id.
#[utoipa::path(get, path = "/api/v1/workspaces/{id}/respondents/{customer_id}", tag = "surveys",
    params(("id" = WorkspaceId, Path), ("customer_id" = String, Path)), responses((status = 200, body = Respondent)))]
pub async fn get_respondent(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((workspace, customer)): ApiPath<(WorkspaceId, String)>,
) -> ApiResult<Json<Respondent>> {
    access::workspace(&state, &user, workspace, Role::Viewer).await?;
    let customer_id = CustomerId::parse(&customer)
        .map_err(|e| ApiError::invalid_field("customer_id", e.message))?;
    Ok(Json(
        state
            .store
            .respondent_by_customer(workspace, &customer_id)
            .await?,
    ))
}

/// Erases a respondent everywhere: answers, sends and the record (editor).
#[utoipa::path(delete, path = "/api/v1/workspaces/{id}/respondents/{customer_id}", tag = "surveys",
    params(("id" = WorkspaceId, Path), ("customer_id" = String, Path)), responses((status = 204)))]
pub async fn erase_respondent(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath((workspace, customer)): ApiPath<(WorkspaceId, String)>,
) -> ApiResult<StatusCode> {
    access::workspace(&state, &user, workspace, Role::Editor).await?;
    let customer_id = CustomerId::parse(&customer)
        .map_err(|e| ApiError::invalid_field("customer_id", e.message))?;
    let respondent = state
        .store
        .respondent_by_customer(workspace, &customer_id)
        .await?;
    state.store.erase_respondent(respondent.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The workspace's sending policy (frequency cap, quiet hours, default time zone).
#[utoipa::path(get, path = "/api/v1/workspaces/{id}/survey-policy", tag = "surveys",
    params(("id" = WorkspaceId, Path)), responses((status = 200, body = SurveyPolicy)))]
pub async fn get_policy(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(workspace): ApiPath<WorkspaceId>,
) -> ApiResult<Json<SurveyPolicy>> {
    access::workspace(&state, &user, workspace, Role::Viewer).await?;
    Ok(Json(state.store.survey_policy(workspace).await?))
}

/// Sets the workspace's sending policy (editor).
#[utoipa::path(put, path = "/api/v1/workspaces/{id}/survey-policy", tag = "surveys",
    params(("id" = WorkspaceId, Path)), request_body = SurveyPolicy, responses((status = 200, body = SurveyPolicy)))]
pub async fn put_policy(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(workspace): ApiPath<WorkspaceId>,
    ApiJson(policy): ApiJson<SurveyPolicy>,
) -> ApiResult<Json<SurveyPolicy>> {
    access::workspace(&state, &user, workspace, Role::Editor).await?;
    policy.validate()?;
    state.store.set_survey_policy(workspace, &policy).await?;
    Ok(Json(policy))
}

/// A new trigger.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTrigger {
    survey_id: SurveyId,
    rule: TriggerRule,
    /// Minutes after the firing moment (e.g. 120).
    #[serde(default)]
    delay_minutes: u32,
    channel: SendChannel,
}

/// The triggers of a workspace.
#[utoipa::path(get, path = "/api/v1/workspaces/{id}/survey-triggers", tag = "surveys",
    params(("id" = WorkspaceId, Path)), responses((status = 200, body = Vec<Trigger>)))]
pub async fn list_triggers(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(workspace): ApiPath<WorkspaceId>,
) -> ApiResult<Json<Vec<Trigger>>> {
    access::workspace(&state, &user, workspace, Role::Viewer).await?;
    Ok(Json(state.store.triggers(workspace).await?))
}

/// Adds a trigger (editor): an event, N days after a date attribute, or a lifecycle stage.
#[utoipa::path(post, path = "/api/v1/workspaces/{id}/survey-triggers", tag = "surveys",
    params(("id" = WorkspaceId, Path)), request_body = NewTrigger, responses((status = 201, body = Trigger)))]
pub async fn create_trigger(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(workspace): ApiPath<WorkspaceId>,
    ApiJson(body): ApiJson<NewTrigger>,
) -> ApiResult<(StatusCode, Json<Trigger>)> {
    access::workspace(&state, &user, workspace, Role::Editor).await?;
    let survey = state
        .store
        .survey(body.survey_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => ApiError::invalid_field("survey_id", "no such survey"),
            other => other.into(),
        })?;
    if survey.workspace_id != workspace {
        return Err(ApiError::invalid_field(
            "survey_id",
            "no such survey in this workspace",
        ));
    }
    if body.delay_minutes > 60 * 24 * 365 {
        return Err(ApiError::invalid_field(
            "delay_minutes",
            "must be at most one year",
        ));
    }
    let trigger = Trigger {
        id: TriggerId::new(),
        workspace_id: workspace,
        survey_id: survey.id,
        rule: body.rule,
        delay_minutes: body.delay_minutes,
        channel: body.channel,
        created_at: cxmap_domain::now(),
    };
    state.store.create_trigger(&trigger).await?;
    Ok((StatusCode::CREATED, Json(trigger)))
}

/// Deletes a trigger (editor).
#[utoipa::path(delete, path = "/api/v1/survey-triggers/{id}", tag = "surveys",
    params(("id" = TriggerId, Path)), responses((status = 204)))]
pub async fn delete_trigger(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<TriggerId>,
) -> ApiResult<StatusCode> {
    let trigger = state.store.trigger(id).await?;
    access::workspace(&state, &user, trigger.workspace_id, Role::Editor).await?;
    state.store.delete_trigger(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An event to feed to the triggers.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FireRequest {
    workspace_id: WorkspaceId,
    customer_id: CustomerId,
    /// The event name, e.g. `order_delivered`.
    event: EventName,
    /// When it happened (default now).
    at: Option<DateTime<Utc>>,
}

/// Feeds one event to the survey triggers (editor) — what the event ingest does per event.
#[utoipa::path(post, path = "/api/v1/surveys/triggers/fire", tag = "surveys",
    request_body = FireRequest, responses((status = 200, body = FireReport)))]
pub async fn fire_trigger(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiJson(body): ApiJson<FireRequest>,
) -> ApiResult<Json<FireReport>> {
    access::workspace(&state, &user, body.workspace_id, Role::Editor).await?;
    let at = body.at.unwrap_or_else(cxmap_domain::now);
    Ok(Json(
        engine::on_event(
            &*state.store,
            body.workspace_id,
            &body.customer_id,
            &body.event,
            at,
        )
        .await?,
    ))
}
