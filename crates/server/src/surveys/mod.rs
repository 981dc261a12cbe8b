//! Surveys on touchpoints: the hosted page and widget ([`public`]), signed links ([`token`]),
//! delivery by e-mail ([`mailer`]) and webhook ([`webhook`]), triggers ([`on_event`],
//! [`on_respondent_change`]), the durable scheduler ([`scheduler`]) and the map overlay
//! ([`overlay`]).

pub mod config;
pub mod mailer;
pub mod overlay;
pub mod public;
pub mod scheduler;
pub mod token;
pub mod webhook;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use cxmap_domain::WorkspaceId;
use cxmap_domain::survey::{
    CustomerId, EventName, Respondent, SendChannel, SendId, SendState, SurveySend, Trigger,
    TriggerRule,
};
use cxmap_store::{Scheduled, Store, StoreError, StoreResult};
use serde::Serialize;
use utoipa::ToSchema;

pub use config::SurveyConfig;

/// What firing triggers did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FireReport {
    /// Sends queued.
    pub scheduled: Vec<SendId>,
    /// Triggers that matched but hit the respondent's frequency cap.
    pub capped: u32,
    /// Triggers that had already fired for this occasion.
    pub duplicates: u32,
    /// Why nothing was queued, when nothing could be (unknown customer, unsubscribed …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

impl FireReport {
    fn skipped(why: &str) -> Self {
        Self {
            skipped: Some(why.to_owned()),
            ..Self::default()
        }
    }
}

/// Feeds an ingested event to the survey triggers: every `Event` trigger of `workspace` named
/// `event` queues its survey for the customer, `delay` after `at` (moved out of quiet hours,
/// subject to the frequency cap). Firing the same event (same name and time) again queues
/// nothing new, so a re-delivered event batch is harmless.
///
/// The event ingest (`POST /api/v1/events`) calls this after the batch is stored; so does
/// `POST /api/v1/surveys/triggers/fire`.
pub async fn on_event(
    store: &dyn Store,
    workspace: WorkspaceId,
    customer: &CustomerId,
    event: &EventName,
    at: DateTime<Utc>,
) -> StoreResult<FireReport> {
    let respondent = match store.respondent_by_customer(workspace, customer).await {
        Ok(r) => r,
        Err(StoreError::NotFound { .. }) => return Ok(FireReport::skipped("unknown customer")),
        Err(e) => return Err(e),
    };
    let triggers: Vec<Trigger> = store
        .triggers(workspace)
        .await?
        .into_iter()
        .filter(|t| matches!(&t.rule, TriggerRule::Event { name } if name == event))
        .collect();
    let mut report = FireReport::default();
    for trigger in &triggers {
        let key = format!(
            "t:{}:{}:event:{}:{}",
            trigger.id,
            respondent.id,
            event.as_str(),
            at.timestamp_micros()
        );
        schedule(store, trigger, &respondent, at, key, &mut report).await?;
    }
    Ok(report)
}

/// Fires the triggers a respondent change can set off: a lifecycle stage reached (when it
/// differs from `previous`'s) and "N days after" a date attribute (when that date is new or
/// changed and the moment is not already past).
pub async fn on_respondent_change(
    store: &dyn Store,
    respondent: &Respondent,
    previous: Option<&Respondent>,
    now: DateTime<Utc>,
) -> StoreResult<FireReport> {
    let mut report = FireReport::default();
    for trigger in store.triggers(respondent.workspace_id).await? {
        match &trigger.rule {
            TriggerRule::Event { .. } => {}
            TriggerRule::LifecycleStage { stage } => {
                let reached = respondent.lifecycle_stage.as_ref() == Some(stage)
                    && previous.and_then(|p| p.lifecycle_stage.as_ref()) != Some(stage);
                if reached {
                    let key = format!(
                        "t:{}:{}:stage:{}:{}",
                        trigger.id,
                        respondent.id,
                        stage.as_str(),
                        respondent.updated_at.timestamp_micros()
                    );
                    schedule(store, &trigger, respondent, now, key, &mut report).await?;
                }
            }
            TriggerRule::DaysAfterDate { attribute, days } => {
                let Some(date) = respondent.dates.get(attribute.as_str()) else {
                    continue;
                };
                if previous.and_then(|p| p.dates.get(attribute.as_str())) == Some(date) {
                    continue;
                }
                // Counted from midnight UTC of the date; quiet hours then move it to a
                // decent local time.
                let base = Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
                    + Duration::days(i64::from(*days));
                if base + Duration::minutes(i64::from(trigger.delay_minutes))
                    < now - Duration::days(1)
                {
                    continue;
                }
                let key = format!("t:{}:{}:date:{}", trigger.id, respondent.id, date);
                schedule(store, &trigger, respondent, base, key, &mut report).await?;
            }
        }
    }
    Ok(report)
}

async fn schedule(
    store: &dyn Store,
    trigger: &Trigger,
    respondent: &Respondent,
    base: DateTime<Utc>,
    dedupe_key: String,
    report: &mut FireReport,
) -> StoreResult<()> {
    if respondent.unsubscribed_at.is_some() {
        report.skipped = Some("unsubscribed".into());
        return Ok(());
    }
    let survey = store.survey(trigger.survey_id).await?;
    if !survey.active {
        report.skipped = Some("survey inactive".into());
        return Ok(());
    }
    let at = base + Duration::minutes(i64::from(trigger.delay_minutes));
    match queue(
        store,
        respondent,
        survey.id,
        trigger.channel,
        at,
        Some(dedupe_key),
    )
    .await?
    {
        (Scheduled::Queued, id) => report.scheduled.push(id),
        (Scheduled::Capped, _) => report.capped += 1,
        (Scheduled::Duplicate, _) => report.duplicates += 1,
    }
    Ok(())
}

/// Queues one send of `survey` to `respondent` at `at` (moved out of quiet hours), under the
/// workspace's frequency cap.
pub async fn queue(
    store: &dyn Store,
    respondent: &Respondent,
    survey: cxmap_domain::survey::SurveyId,
    channel: SendChannel,
    at: DateTime<Utc>,
    dedupe_key: Option<String>,
) -> StoreResult<(Scheduled, SendId)> {
    let policy = store.survey_policy(respondent.workspace_id).await?;
    let due = policy.first_allowed(at, respondent.utc_offset_minutes);
    let send = SurveySend {
        id: SendId::new(),
        survey_id: survey,
        respondent_id: respondent.id,
        channel,
        state: SendState::Pending,
        attempts: 0,
        due_at: due,
        next_attempt_at: due,
        last_error: None,
        sent_at: None,
        dedupe_key,
        created_at: cxmap_domain::now(),
    };
    let outcome = store.schedule_send(&send, policy.cap).await?;
    Ok((outcome, send.id))
}
