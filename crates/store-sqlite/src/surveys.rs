use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use cxmap_domain::survey::schedule::{FrequencyCap, SurveyPolicy};
use cxmap_domain::survey::{
    Answer, AnswerId, Channel, CustomerId, Respondent, RespondentId, Score, SendChannel, SendId,
    SendState, Survey, SurveyId, SurveyKind, SurveySend, Trigger, TriggerId,
};
use cxmap_domain::{JourneyId, Text, WorkspaceId};
use cxmap_store::{ClaimedSend, Scheduled, SendOutcome, StoreError, StoreResult, SurveyStore};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::{SqliteStore, from_doc, map_err, to_doc};

fn corrupt(e: sqlx::Error) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn kind_of(code: &str) -> StoreResult<SurveyKind> {
    serde_json::from_value(serde_json::Value::String(code.to_owned()))
        .map_err(|e| StoreError::Corrupt(format!("survey kind {code:?}: {e}")))
}

// Column lists as macros so that queries stay `&'static str` (built with `concat!`).
macro_rules! answer_columns {
    () => {
        "a.id, a.survey_id, a.respondent_id, a.token_nonce, a.score, a.channel, a.segment, a.comment, a.extra, a.answered_at, s.kind"
    };
}

fn answer_from_row(row: &SqliteRow) -> StoreResult<Answer> {
    let kind = kind_of(&row.try_get::<String, _>("kind").map_err(corrupt)?)?;
    let channel: String = row.try_get("channel").map_err(corrupt)?;
    Ok(Answer {
        id: AnswerId::from_uuid(row.try_get("id").map_err(corrupt)?),
        survey_id: SurveyId::from_uuid(row.try_get("survey_id").map_err(corrupt)?),
        respondent_id: row
            .try_get::<Option<Uuid>, _>("respondent_id")
            .map_err(corrupt)?
            .map(RespondentId::from_uuid),
        token_nonce: row.try_get("token_nonce").map_err(corrupt)?,
        score: Score::parse(kind, row.try_get("score").map_err(corrupt)?)?,
        channel: Channel::from_code(&channel)
            .ok_or_else(|| StoreError::Corrupt(format!("answer channel {channel:?}")))?,
        segment: row.try_get("segment").map_err(corrupt)?,
        comment: Text::parse(row.try_get::<String, _>("comment").map_err(corrupt)?)?,
        extra: from_doc(&row.try_get::<String, _>("extra").map_err(corrupt)?)?,
        answered_at: row.try_get("answered_at").map_err(corrupt)?,
    })
}

macro_rules! send_columns {
    () => {
        "id, survey_id, respondent_id, channel, state, attempts, due_at, next_attempt_at, last_error, sent_at, dedupe_key, created_at"
    };
}

fn send_from_row(row: &SqliteRow) -> StoreResult<SurveySend> {
    let channel: String = row.try_get("channel").map_err(corrupt)?;
    let state: String = row.try_get("state").map_err(corrupt)?;
    Ok(SurveySend {
        id: SendId::from_uuid(row.try_get("id").map_err(corrupt)?),
        survey_id: SurveyId::from_uuid(row.try_get("survey_id").map_err(corrupt)?),
        respondent_id: RespondentId::from_uuid(row.try_get("respondent_id").map_err(corrupt)?),
        channel: SendChannel::from_code(&channel)
            .ok_or_else(|| StoreError::Corrupt(format!("send channel {channel:?}")))?,
        state: SendState::from_code(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("send state {state:?}")))?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts").map_err(corrupt)?)
            .unwrap_or(u32::MAX),
        due_at: row.try_get("due_at").map_err(corrupt)?,
        next_attempt_at: row.try_get("next_attempt_at").map_err(corrupt)?,
        last_error: row.try_get("last_error").map_err(corrupt)?,
        sent_at: row.try_get("sent_at").map_err(corrupt)?,
        dedupe_key: row.try_get("dedupe_key").map_err(corrupt)?,
        created_at: row.try_get("created_at").map_err(corrupt)?,
    })
}

fn not_found_if_zero(rows: u64, entity: &'static str, id: impl ToString) -> StoreResult<()> {
    if rows == 0 {
        Err(StoreError::not_found(entity, id))
    } else {
        Ok(())
    }
}

#[async_trait]
impl SurveyStore for SqliteStore {
    async fn create_survey(&self, survey: &Survey) -> StoreResult<()> {
        survey.validate()?;
        sqlx::query("INSERT INTO surveys (id, workspace_id, journey_id, touchpoint_id, kind, doc, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(survey.id.as_uuid())
            .bind(survey.workspace_id.as_uuid())
            .bind(survey.journey_id.as_uuid())
            .bind(survey.touchpoint_id.as_uuid())
            .bind(survey.kind.code())
            .bind(to_doc(survey)?)
            .bind(survey.created_at)
            .execute(&self.pool)
            .await
            .map_err(|e| match map_err(e) {
                StoreError::NotFound { .. } => StoreError::not_found("journey", survey.journey_id),
                other => other,
            })?;
        Ok(())
    }

    async fn survey(&self, id: SurveyId) -> StoreResult<Survey> {
        let doc: String = sqlx::query_scalar("SELECT doc FROM surveys WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or_else(|| StoreError::not_found("survey", id))?;
        from_doc(&doc)
    }

    async fn update_survey(&self, survey: &Survey) -> StoreResult<()> {
        survey.validate()?;
        // The kind is fixed at creation: stored answers are on its scale.
        let done = sqlx::query(
            "UPDATE surveys SET doc = $2, touchpoint_id = $3 WHERE id = $1 AND kind = $4",
        )
        .bind(survey.id.as_uuid())
        .bind(to_doc(survey)?)
        .bind(survey.touchpoint_id.as_uuid())
        .bind(survey.kind.code())
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        not_found_if_zero(done.rows_affected(), "survey", survey.id)
    }

    async fn delete_survey(&self, id: SurveyId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM surveys WHERE id = $1")
            .bind(id.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        not_found_if_zero(done.rows_affected(), "survey", id)
    }

    async fn surveys_of_journey(&self, journey: JourneyId) -> StoreResult<Vec<Survey>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM surveys WHERE journey_id = $1 ORDER BY created_at, id",
        )
        .bind(journey.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| from_doc(d)).collect()
    }

    async fn add_answer(&self, answer: &Answer) -> StoreResult<()> {
        // One writer at a time inside the process (the lock event batches take): concurrent
        // answers on different pool connections otherwise collide on SQLite's write lock and
        // wait in its sleeping busy handler (the survey bench's p99 was 0.6 s at 870/s). A
        // long event import holds the lock; after the same 10 s as SQLite's busy timeout the
        // answer is refused as unavailable, as it was before, rather than waiting without end.
        let _writer = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            self.event_writer.clone().lock_owned(),
        )
        .await
        .map_err(|_| StoreError::Unavailable("the database is busy with another write".into()))?;
        sqlx::query("INSERT INTO survey_answers (id, survey_id, respondent_id, token_nonce, score, channel, segment, comment, extra, answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(answer.id.as_uuid())
            .bind(answer.survey_id.as_uuid())
            .bind(answer.respondent_id.map(|r| r.as_uuid()))
            .bind(answer.token_nonce)
            .bind(i64::from(answer.score.value()))
            .bind(answer.channel.code())
            .bind(answer.segment.as_deref())
            .bind(answer.comment.as_str())
            .bind(to_doc(&answer.extra)?)
            .bind(answer.answered_at)
            .execute(&self.pool)
            .await
            .map_err(|e| match map_err(e) {
                StoreError::AlreadyExists(_) => {
                    StoreError::AlreadyExists("this link has already been answered".into())
                }
                StoreError::NotFound { .. } => StoreError::not_found("survey", answer.survey_id),
                other => other,
            })?;
        Ok(())
    }

    async fn answer(&self, id: AnswerId) -> StoreResult<Answer> {
        let row = sqlx::query(concat!(
            "SELECT ",
            answer_columns!(),
            " FROM survey_answers a JOIN surveys s ON s.id = a.survey_id WHERE a.id = $1"
        ))
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?
        .ok_or_else(|| StoreError::not_found("answer", id))?;
        answer_from_row(&row)
    }

    async fn answers(&self, survey: SurveyId) -> StoreResult<Vec<Answer>> {
        sqlx::query(concat!("SELECT ", answer_columns!(), " FROM survey_answers a JOIN surveys s ON s.id = a.survey_id WHERE a.survey_id = $1 ORDER BY a.answered_at, a.id"))
        .bind(survey.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(answer_from_row)
        .collect()
    }

    async fn set_answer_comment(&self, id: AnswerId, comment: &Text) -> StoreResult<()> {
        let done = sqlx::query("UPDATE survey_answers SET comment = $2 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(comment.as_str())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        not_found_if_zero(done.rows_affected(), "answer", id)
    }

    async fn upsert_respondent(
        &self,
        respondent: &Respondent,
    ) -> StoreResult<(Respondent, Option<Respondent>)> {
        // Insert-or-read, then a compare-and-swap update: safe against concurrent upserts
        // without holding a transaction across the read.
        for _ in 0..8 {
            let inserted = sqlx::query("INSERT INTO survey_respondents (id, workspace_id, customer_id, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, customer_id) DO NOTHING")
                .bind(respondent.id.as_uuid())
                .bind(respondent.workspace_id.as_uuid())
                .bind(respondent.customer_id.as_str())
                .bind(to_doc(respondent)?)
                .execute(&self.pool)
                .await
                .map_err(|e| match map_err(e) {
                    StoreError::NotFound { .. } => StoreError::not_found("workspace", respondent.workspace_id),
                    other => other,
                })?;
            if inserted.rows_affected() == 1 {
                return Ok((respondent.clone(), None));
            }
            let Some(old_doc): Option<String> = sqlx::query_scalar(
                "SELECT doc FROM survey_respondents WHERE workspace_id = $1 AND customer_id = $2",
            )
            .bind(respondent.workspace_id.as_uuid())
            .bind(respondent.customer_id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            else {
                continue;
            };
            let previous: Respondent = from_doc(&old_doc)?;
            let merged = merge_respondent(&previous, respondent);
            let done =
                sqlx::query("UPDATE survey_respondents SET doc = $2 WHERE id = $1 AND doc = $3")
                    .bind(previous.id.as_uuid())
                    .bind(to_doc(&merged)?)
                    .bind(&old_doc)
                    .execute(&self.pool)
                    .await
                    .map_err(map_err)?;
            if done.rows_affected() == 1 {
                return Ok((merged, Some(previous)));
            }
        }
        Err(StoreError::Unavailable(
            "respondent keeps changing; retry".into(),
        ))
    }

    async fn respondent(&self, id: RespondentId) -> StoreResult<Respondent> {
        let doc: String = sqlx::query_scalar("SELECT doc FROM survey_respondents WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or_else(|| StoreError::not_found("respondent", id))?;
        from_doc(&doc)
    }

    async fn respondent_by_customer(
        &self,
        workspace: WorkspaceId,
        customer: &CustomerId,
    ) -> StoreResult<Respondent> {
        let doc: String = sqlx::query_scalar(
            "SELECT doc FROM survey_respondents WHERE workspace_id = $1 AND customer_id = $2",
        )
        .bind(workspace.as_uuid())
        .bind(customer.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?
        .ok_or_else(|| StoreError::not_found("respondent", customer))?;
        from_doc(&doc)
    }

    async fn unsubscribe(&self, id: RespondentId, at: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let doc: String = sqlx::query_scalar("SELECT doc FROM survey_respondents WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or_else(|| StoreError::not_found("respondent", id))?;
        let mut respondent: Respondent = from_doc(&doc)?;
        if respondent.unsubscribed_at.is_none() {
            respondent.unsubscribed_at = Some(at);
            respondent.updated_at = at;
            sqlx::query("UPDATE survey_respondents SET doc = $2 WHERE id = $1")
                .bind(id.as_uuid())
                .bind(to_doc(&respondent)?)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        sqlx::query("UPDATE survey_sends SET state = 'failed', last_error = 'unsubscribed' WHERE respondent_id = $1 AND state = 'pending'")
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn erase_respondent(&self, id: RespondentId) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        for sql in [
            "DELETE FROM survey_answers WHERE respondent_id = $1",
            "DELETE FROM survey_sends WHERE respondent_id = $1",
        ] {
            sqlx::query(sql)
                .bind(id.as_uuid())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        let done = sqlx::query("DELETE FROM survey_respondents WHERE id = $1")
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        not_found_if_zero(done.rows_affected(), "respondent", id)?;
        tx.commit().await.map_err(map_err)
    }

    async fn survey_policy(&self, workspace: WorkspaceId) -> StoreResult<SurveyPolicy> {
        let doc: Option<String> =
            sqlx::query_scalar("SELECT doc FROM survey_policies WHERE workspace_id = $1")
                .bind(workspace.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        doc.map_or(Ok(SurveyPolicy::default()), |d| from_doc(&d))
    }

    async fn set_survey_policy(
        &self,
        workspace: WorkspaceId,
        policy: &SurveyPolicy,
    ) -> StoreResult<()> {
        policy.validate()?;
        sqlx::query("INSERT INTO survey_policies (workspace_id, doc) VALUES ($1, $2) ON CONFLICT (workspace_id) DO UPDATE SET doc = excluded.doc")
            .bind(workspace.as_uuid())
            .bind(to_doc(policy)?)
            .execute(&self.pool)
            .await
            .map_err(|e| match map_err(e) {
                StoreError::NotFound { .. } => StoreError::not_found("workspace", workspace),
                other => other,
            })?;
        Ok(())
    }

    async fn create_trigger(&self, trigger: &Trigger) -> StoreResult<()> {
        sqlx::query("INSERT INTO survey_triggers (id, workspace_id, survey_id, doc, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(trigger.id.as_uuid())
            .bind(trigger.workspace_id.as_uuid())
            .bind(trigger.survey_id.as_uuid())
            .bind(to_doc(trigger)?)
            .bind(trigger.created_at)
            .execute(&self.pool)
            .await
            .map_err(|e| match map_err(e) {
                StoreError::NotFound { .. } => StoreError::not_found("survey", trigger.survey_id),
                other => other,
            })?;
        Ok(())
    }

    async fn trigger(&self, id: TriggerId) -> StoreResult<Trigger> {
        let doc: String = sqlx::query_scalar("SELECT doc FROM survey_triggers WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or_else(|| StoreError::not_found("trigger", id))?;
        from_doc(&doc)
    }

    async fn triggers(&self, workspace: WorkspaceId) -> StoreResult<Vec<Trigger>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM survey_triggers WHERE workspace_id = $1 ORDER BY created_at, id",
        )
        .bind(workspace.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| from_doc(d)).collect()
    }

    async fn delete_trigger(&self, id: TriggerId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM survey_triggers WHERE id = $1")
            .bind(id.as_uuid())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        not_found_if_zero(done.rows_affected(), "trigger", id)
    }

    async fn schedule_send(
        &self,
        send: &SurveySend,
        cap: Option<FrequencyCap>,
    ) -> StoreResult<Scheduled> {
        let (max, from, to) = cap_bounds(send.due_at, cap);
        // One statement: SQLite takes the write lock when it starts, so the count and the
        // insert cannot interleave with another writer's.
        let done = sqlx::query("INSERT INTO survey_sends (id, survey_id, respondent_id, channel, state, attempts, due_at, next_attempt_at, dedupe_key, created_at) \
             SELECT $1, $2, $3, $4, 'pending', 0, $5, $6, $7, $8 \
             WHERE $9 IS NULL OR (SELECT count(*) FROM survey_sends WHERE respondent_id = $3 AND state <> 'failed' AND due_at > $10 AND due_at < $11) < $9 \
             ON CONFLICT (dedupe_key) DO NOTHING")
            .bind(send.id.as_uuid())
            .bind(send.survey_id.as_uuid())
            .bind(send.respondent_id.as_uuid())
            .bind(send.channel.code())
            .bind(send.due_at)
            .bind(send.next_attempt_at)
            .bind(send.dedupe_key.as_deref())
            .bind(send.created_at)
            .bind(max)
            .bind(from)
            .bind(to)
            .execute(&self.pool)
            .await
            .map_err(|e| match map_err(e) {
                StoreError::NotFound { .. } => StoreError::not_found("survey or respondent", send.id),
                other => other,
            })?;
        if done.rows_affected() == 1 {
            return Ok(Scheduled::Queued);
        }
        let duplicate: i64 = match &send.dedupe_key {
            Some(key) => {
                sqlx::query_scalar("SELECT count(*) FROM survey_sends WHERE dedupe_key = $1")
                    .bind(key)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(map_err)?
            }
            None => 0,
        };
        Ok(if duplicate > 0 {
            Scheduled::Duplicate
        } else {
            Scheduled::Capped
        })
    }

    async fn claim_due_sends(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedSend>> {
        let claim = Uuid::now_v7();
        let rows = sqlx::query(concat!("UPDATE survey_sends SET state = 'sending', lease_until = $2, claim = $3, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM survey_sends \
                WHERE (state = 'pending' AND next_attempt_at <= $1) OR (state = 'sending' AND lease_until <= $1) \
                ORDER BY next_attempt_at, id LIMIT $4) \
             RETURNING ", send_columns!()))
        .bind(now)
        .bind(now + lease)
        .bind(claim)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut claimed = rows
            .iter()
            .map(|row| send_from_row(row).map(|send| ClaimedSend { send, claim }))
            .collect::<StoreResult<Vec<_>>>()?;
        claimed.sort_by_key(|a| a.send.next_attempt_at);
        Ok(claimed)
    }

    async fn finish_send(
        &self,
        id: SendId,
        claim: Uuid,
        outcome: &SendOutcome,
    ) -> StoreResult<bool> {
        let query = match outcome {
            SendOutcome::Sent { at } => sqlx::query("UPDATE survey_sends SET state = 'sent', sent_at = $3, lease_until = NULL, last_error = NULL WHERE id = $1 AND claim = $2 AND state = 'sending'")
                .bind(id.as_uuid()).bind(claim).bind(*at),
            SendOutcome::Retry { next_attempt_at, error } => sqlx::query("UPDATE survey_sends SET state = 'pending', next_attempt_at = $3, last_error = $4, lease_until = NULL WHERE id = $1 AND claim = $2 AND state = 'sending'")
                .bind(id.as_uuid()).bind(claim).bind(*next_attempt_at).bind(error.as_str()),
            SendOutcome::Failed { error } => sqlx::query("UPDATE survey_sends SET state = 'failed', last_error = $3, lease_until = NULL WHERE id = $1 AND claim = $2 AND state = 'sending'")
                .bind(id.as_uuid()).bind(claim).bind(error.as_str()),
        };
        let done = query.execute(&self.pool).await.map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn send(&self, id: SendId) -> StoreResult<SurveySend> {
        let row = sqlx::query(concat!(
            "SELECT ",
            send_columns!(),
            " FROM survey_sends WHERE id = $1"
        ))
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?
        .ok_or_else(|| StoreError::not_found("send", id))?;
        send_from_row(&row)
    }

    async fn sends_of_survey(&self, survey: SurveyId) -> StoreResult<Vec<SurveySend>> {
        sqlx::query(concat!(
            "SELECT ",
            send_columns!(),
            " FROM survey_sends WHERE survey_id = $1 ORDER BY due_at, id"
        ))
        .bind(survey.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(send_from_row)
        .collect()
    }

    async fn sends_of_respondent(&self, respondent: RespondentId) -> StoreResult<Vec<SurveySend>> {
        sqlx::query(concat!(
            "SELECT ",
            send_columns!(),
            " FROM survey_sends WHERE respondent_id = $1 ORDER BY due_at, id"
        ))
        .bind(respondent.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(send_from_row)
        .collect()
    }
}

/// The cap's parameters for the count query: the limit (none = no cap) and the open window
/// `(due − window, due + window)`.
fn cap_bounds(
    due: DateTime<Utc>,
    cap: Option<FrequencyCap>,
) -> (Option<i64>, DateTime<Utc>, DateTime<Utc>) {
    match cap {
        Some(cap) => (
            Some(i64::from(cap.max_sends)),
            due - cap.window(),
            due + cap.window(),
        ),
        None => (None, due, due),
    }
}

/// The stored respondent updated with `new`'s contact data and attributes; the id, creation
/// time and any unsubscription are kept.
fn merge_respondent(previous: &Respondent, new: &Respondent) -> Respondent {
    Respondent {
        id: previous.id,
        created_at: previous.created_at,
        unsubscribed_at: previous.unsubscribed_at.or(new.unsubscribed_at),
        ..new.clone()
    }
}
