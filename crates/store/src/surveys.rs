//! Surveys, their answers, respondents, triggers, workspace sending policy and the durable
//! send queue (`survey_sends`) that the scheduler drains.
//!
//! The queue is the crash-safety boundary: a send exists as a row before anything is sent,
//! a scheduler claims rows with a lease (an expired lease means the claimer died and the row is
//! claimed again), and only the claim holder can finish a row.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use cxmap_domain::survey::schedule::{FrequencyCap, SurveyPolicy};
use cxmap_domain::survey::{
    Answer, AnswerId, CustomerId, Respondent, RespondentId, SendId, Survey, SurveyId, SurveySend,
    Trigger, TriggerId,
};
use cxmap_domain::{JourneyId, Text, WorkspaceId};

use crate::error::StoreResult;

/// What became of a request to schedule a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduled {
    /// The send is queued.
    Queued,
    /// The respondent already has as many sends in the cap's window as allowed.
    Capped,
    /// A send with the same dedupe key exists (the trigger already fired for this occasion).
    Duplicate,
}

/// A send claimed by one scheduler until `lease_until`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedSend {
    /// The send as stored (state `sending`, attempts already counting this one).
    pub send: SurveySend,
    /// Proof of the claim; finishing needs it, so a late finisher of an expired claim is ignored.
    pub claim: Uuid,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The message was handed over at `at`.
    Sent {
        /// When.
        at: DateTime<Utc>,
    },
    /// Try again at `next_attempt_at`.
    Retry {
        /// When the next attempt may start.
        next_attempt_at: DateTime<Utc>,
        /// Why this attempt failed.
        error: String,
    },
    /// Give up for good.
    Failed {
        /// Why.
        error: String,
    },
}

/// Storage of everything about surveys.
#[async_trait]
pub trait SurveyStore {
    /// Stores a new survey.
    async fn create_survey(&self, survey: &Survey) -> StoreResult<()>;
    /// A survey by id.
    async fn survey(&self, id: SurveyId) -> StoreResult<Survey>;
    /// Replaces a survey's definition.
    async fn update_survey(&self, survey: &Survey) -> StoreResult<()>;
    /// Deletes a survey with its answers, sends and triggers.
    async fn delete_survey(&self, id: SurveyId) -> StoreResult<()>;
    /// The surveys of a journey, oldest first.
    async fn surveys_of_journey(&self, journey: JourneyId) -> StoreResult<Vec<Survey>>;

    /// Records an answer. A second answer with the same `token_nonce` fails with
    /// [`StoreError::AlreadyExists`](crate::StoreError::AlreadyExists).
    async fn add_answer(&self, answer: &Answer) -> StoreResult<()>;
    /// An answer by id.
    async fn answer(&self, id: AnswerId) -> StoreResult<Answer>;
    /// The answers of a survey, oldest first.
    async fn answers(&self, survey: SurveyId) -> StoreResult<Vec<Answer>>;
    /// Sets the free-text follow-up of an answer.
    async fn set_answer_comment(&self, id: AnswerId, comment: &Text) -> StoreResult<()>;

    /// Creates the respondent, or updates the one with the same customer id in the workspace
    /// (keeping its id, creation time and unsubscription). Returns the stored respondent and
    /// the previous version, if any.
    async fn upsert_respondent(
        &self,
        respondent: &Respondent,
    ) -> StoreResult<(Respondent, Option<Respondent>)>;
    /// A respondent by id.
    async fn respondent(&self, id: RespondentId) -> StoreResult<Respondent>;
    /// A respondent by the workspace's customer id.
    async fn respondent_by_customer(
        &self,
        workspace: WorkspaceId,
        customer: &CustomerId,
    ) -> StoreResult<Respondent>;
    /// Marks a respondent unsubscribed (idempotent: the first time is kept) and fails their
    /// pending sends.
    async fn unsubscribe(&self, id: RespondentId, at: DateTime<Utc>) -> StoreResult<()>;
    /// Erases a respondent everywhere: answers, sends and the respondent, in one transaction.
    async fn erase_respondent(&self, id: RespondentId) -> StoreResult<()>;

    /// The workspace's sending policy ([`SurveyPolicy::default`] when never set).
    async fn survey_policy(&self, workspace: WorkspaceId) -> StoreResult<SurveyPolicy>;
    /// Sets the workspace's sending policy.
    async fn set_survey_policy(
        &self,
        workspace: WorkspaceId,
        policy: &SurveyPolicy,
    ) -> StoreResult<()>;

    /// Stores a trigger.
    async fn create_trigger(&self, trigger: &Trigger) -> StoreResult<()>;
    /// A trigger by id.
    async fn trigger(&self, id: TriggerId) -> StoreResult<Trigger>;
    /// The triggers of a workspace, oldest first.
    async fn triggers(&self, workspace: WorkspaceId) -> StoreResult<Vec<Trigger>>;
    /// Deletes a trigger (its queued sends stay).
    async fn delete_trigger(&self, id: TriggerId) -> StoreResult<()>;

    /// Queues `send` (state pending) unless its dedupe key is taken or, with `cap`, the
    /// respondent already has `cap.max_sends` non-failed sends due within the cap's window
    /// around `send.due_at`. The check and the insert are atomic against concurrent callers.
    async fn schedule_send(
        &self,
        send: &SurveySend,
        cap: Option<FrequencyCap>,
    ) -> StoreResult<Scheduled>;
    /// Claims up to `limit` sends that are due at `now` (pending with `next_attempt_at <= now`,
    /// or sending with an expired lease), moving them to `sending` with a lease of `lease` and
    /// counting an attempt. Concurrent claimers never get the same row.
    async fn claim_due_sends(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedSend>>;
    /// Finishes an attempt. Returns false (and changes nothing) when `claim` no longer holds the
    /// row (its lease expired and another scheduler took it).
    async fn finish_send(
        &self,
        id: SendId,
        claim: Uuid,
        outcome: &SendOutcome,
    ) -> StoreResult<bool>;
    /// A send by id.
    async fn send(&self, id: SendId) -> StoreResult<SurveySend>;
    /// The sends of a survey, oldest due first.
    async fn sends_of_survey(&self, survey: SurveyId) -> StoreResult<Vec<SurveySend>>;
    /// The sends to a respondent, oldest due first.
    async fn sends_of_respondent(&self, respondent: RespondentId) -> StoreResult<Vec<SurveySend>>;
}
