//! Suite behaviours of [`SurveyStore`](crate::SurveyStore).

use std::collections::{BTreeMap, HashSet};

use chrono::{Duration, Utc};
use cxmap_domain::survey::schedule::{FrequencyCap, SurveyPolicy};
use cxmap_domain::survey::*;
use cxmap_domain::*;
use uuid::Uuid;

use super::{sample_journey, seeded};
use crate::{Scheduled, SendOutcome, Store, StoreError};

async fn survey_on_journey<S: Store>(store: &S, kind: SurveyKind) -> (Workspace, Journey, Survey) {
    let (_, workspace, project) = seeded(store).await;
    let journey = sample_journey(project.id);
    store.create_journey(&journey).await.unwrap();
    let (_, touchpoint) = journey.touchpoints().next().unwrap();
    let now = cxmap_domain::now();
    let survey = Survey {
        id: SurveyId::new(),
        workspace_id: workspace.id,
        journey_id: journey.id,
        touchpoint_id: touchpoint.id,
        kind,
        subject: Title::parse("배송").unwrap(),
        follow_up: FollowUps {
            detractor: Some(Bilingual::new("무엇이 불편하셨나요?", "What went wrong?").unwrap()),
            ..FollowUps::default()
        },
        extra_questions: vec![],
        branding: Branding::default(),
        allow_anonymous: true,
        active: true,
        created_at: now,
        updated_at: now,
    };
    store.create_survey(&survey).await.unwrap();
    (workspace, journey, survey)
}

fn respondent(workspace: WorkspaceId, customer: &str) -> Respondent {
    let now = cxmap_domain::now();
    Respondent {
        id: RespondentId::new(),
        workspace_id: workspace,
        customer_id: CustomerId::parse(customer).unwrap(),
        email: Some(Email::parse(format!("{customer}@example.com")).unwrap()),
        phone: None,
        segment: Some(Title::parse("VIP").unwrap()),
        lifecycle_stage: Some(Title::parse("active").unwrap()),
        utc_offset_minutes: None,
        dates: BTreeMap::new(),
        unsubscribed_at: None,
        created_at: now,
        updated_at: now,
    }
}

fn answer(survey: &Survey, score: i64, nonce: Option<Uuid>, who: Option<RespondentId>) -> Answer {
    Answer {
        id: AnswerId::new(),
        survey_id: survey.id,
        respondent_id: who,
        token_nonce: nonce,
        score: Score::parse(survey.kind, score).unwrap(),
        channel: Channel::Email,
        segment: None,
        comment: Text::parse("포장이 꼼꼼했어요").unwrap(),
        extra: BTreeMap::from([("why".to_owned(), Text::parse("빠름").unwrap())]),
        answered_at: cxmap_domain::now(),
    }
}

fn send(survey: &Survey, who: RespondentId, due_in: Duration, key: Option<&str>) -> SurveySend {
    let now = cxmap_domain::now();
    SurveySend {
        id: SendId::new(),
        survey_id: survey.id,
        respondent_id: who,
        channel: SendChannel::Email,
        state: SendState::Pending,
        attempts: 0,
        due_at: now + due_in,
        next_attempt_at: now + due_in,
        last_error: None,
        sent_at: None,
        dedupe_key: key.map(str::to_owned),
        created_at: now,
    }
}

/// Surveys round-trip; answers keep their channel and text; a personal link's nonce answers
/// once; deleting a survey takes its answers.
pub async fn surveys_and_answers<S: Store>(store: &S) {
    let (_, journey, mut survey) = survey_on_journey(store, SurveyKind::Nps).await;
    assert_eq!(store.survey(survey.id).await.unwrap(), survey);
    survey.subject = Title::parse("결제").unwrap();
    survey.branding.colour = Some(Colour::parse("#0a7cff").unwrap());
    store.update_survey(&survey).await.unwrap();
    assert_eq!(
        store.surveys_of_journey(journey.id).await.unwrap(),
        vec![survey.clone()]
    );

    let nonce = Uuid::now_v7();
    let first = answer(&survey, 9, Some(nonce), None);
    store.add_answer(&first).await.unwrap();
    assert!(matches!(
        store
            .add_answer(&answer(&survey, 3, Some(nonce), None))
            .await,
        Err(StoreError::AlreadyExists(_))
    ));
    store
        .add_answer(&answer(&survey, 0, None, None))
        .await
        .unwrap();
    store
        .add_answer(&answer(&survey, 10, None, None))
        .await
        .unwrap();
    let answers = store.answers(survey.id).await.unwrap();
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0], first);
    store
        .set_answer_comment(first.id, &Text::parse("추가 의견").unwrap())
        .await
        .unwrap();
    assert_eq!(
        store.answer(first.id).await.unwrap().comment.as_str(),
        "추가 의견"
    );

    store.delete_survey(survey.id).await.unwrap();
    assert!(matches!(
        store.survey(survey.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.answer(first.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Upserts keep the id and the unsubscription; unsubscribing fails pending sends; erasing
/// removes the respondent's answers, sends and record.
pub async fn respondents_unsubscribe_and_erase<S: Store>(store: &S) {
    let (workspace, _, survey) = survey_on_journey(store, SurveyKind::Csat).await;
    let r = respondent(workspace.id, "cust-1");
    let (stored, previous) = store.upsert_respondent(&r).await.unwrap();
    assert_eq!((stored.clone(), previous), (r.clone(), None));
    let mut changed = respondent(workspace.id, "cust-1");
    changed.lifecycle_stage = Some(Title::parse("churn_risk").unwrap());
    let (stored, previous) = store.upsert_respondent(&changed).await.unwrap();
    assert_eq!(stored.id, r.id);
    assert_eq!(previous.unwrap().lifecycle_stage, r.lifecycle_stage);
    assert_eq!(
        store
            .respondent_by_customer(workspace.id, &r.customer_id)
            .await
            .unwrap()
            .lifecycle_stage,
        changed.lifecycle_stage
    );

    let queued = send(&survey, r.id, Duration::hours(1), None);
    assert_eq!(
        store.schedule_send(&queued, None).await.unwrap(),
        Scheduled::Queued
    );
    store
        .add_answer(&answer(&survey, 5, Some(Uuid::now_v7()), Some(r.id)))
        .await
        .unwrap();
    let other = respondent(workspace.id, "cust-2");
    store.upsert_respondent(&other).await.unwrap();
    store
        .add_answer(&answer(&survey, 4, None, Some(other.id)))
        .await
        .unwrap();

    let at = cxmap_domain::now();
    store.unsubscribe(r.id, at).await.unwrap();
    store
        .unsubscribe(r.id, at + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        store.respondent(r.id).await.unwrap().unsubscribed_at,
        Some(at)
    );
    let failed = store.send(queued.id).await.unwrap();
    assert_eq!(failed.state, SendState::Failed);
    // A later upsert from the CRM does not resubscribe.
    let (stored, _) = store
        .upsert_respondent(&respondent(workspace.id, "cust-1"))
        .await
        .unwrap();
    assert_eq!(stored.unsubscribed_at, Some(at));

    store.erase_respondent(r.id).await.unwrap();
    assert!(matches!(
        store.respondent(r.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.send(queued.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let left = store.answers(survey.id).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].respondent_id, Some(other.id));
    assert!(matches!(
        store.erase_respondent(r.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Policies and triggers round-trip.
pub async fn policies_and_triggers<S: Store>(store: &S) {
    let (workspace, _, survey) = survey_on_journey(store, SurveyKind::Ces).await;
    assert_eq!(
        store.survey_policy(workspace.id).await.unwrap(),
        SurveyPolicy::default()
    );
    let policy = SurveyPolicy {
        cap: Some(FrequencyCap {
            max_sends: 2,
            window_days: 7,
        }),
        quiet_hours: None,
        default_utc_offset_minutes: 0,
    };
    store
        .set_survey_policy(workspace.id, &policy)
        .await
        .unwrap();
    assert_eq!(store.survey_policy(workspace.id).await.unwrap(), policy);
    let trigger = Trigger {
        id: TriggerId::new(),
        workspace_id: workspace.id,
        survey_id: survey.id,
        rule: TriggerRule::Event {
            name: EventName::parse("order_delivered").unwrap(),
        },
        delay_minutes: 120,
        channel: SendChannel::Email,
        created_at: cxmap_domain::now(),
    };
    store.create_trigger(&trigger).await.unwrap();
    assert_eq!(store.trigger(trigger.id).await.unwrap(), trigger);
    assert_eq!(
        store.triggers(workspace.id).await.unwrap(),
        vec![trigger.clone()]
    );
    store.delete_trigger(trigger.id).await.unwrap();
    assert!(store.triggers(workspace.id).await.unwrap().is_empty());
}

/// Due sends are claimed once with a lease; only the claim holder finishes them; an expired
/// lease (a crashed scheduler) makes the send claimable again; retries and failures stick.
pub async fn send_queue_leases<S: Store>(store: &S) {
    let (workspace, _, survey) = survey_on_journey(store, SurveyKind::Nps).await;
    let r = respondent(workspace.id, "lease");
    store.upsert_respondent(&r).await.unwrap();
    let due: Vec<SurveySend> = (0..3)
        .map(|i| send(&survey, r.id, Duration::seconds(-10 + i), None))
        .collect();
    let later = send(&survey, r.id, Duration::hours(1), None);
    for s in due.iter().chain([&later]) {
        assert_eq!(
            store.schedule_send(s, None).await.unwrap(),
            Scheduled::Queued
        );
    }
    let now = Utc::now();
    let lease = Duration::seconds(60);
    let claimed = store.claim_due_sends(now, lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 3);
    assert!(
        claimed
            .iter()
            .all(|c| c.send.state == SendState::Sending && c.send.attempts == 1)
    );
    assert!(
        store
            .claim_due_sends(now, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let [a, b, c] = [&claimed[0], &claimed[1], &claimed[2]];
    let sent_at = cxmap_domain::now();
    assert!(
        store
            .finish_send(a.send.id, a.claim, &SendOutcome::Sent { at: sent_at })
            .await
            .unwrap()
    );
    assert!(
        !store
            .finish_send(
                a.send.id,
                a.claim,
                &SendOutcome::Failed { error: "x".into() }
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .finish_send(
                b.send.id,
                Uuid::now_v7(),
                &SendOutcome::Sent { at: sent_at }
            )
            .await
            .unwrap()
    );
    let sent = store.send(a.send.id).await.unwrap();
    assert_eq!((sent.state, sent.sent_at), (SendState::Sent, Some(sent_at)));

    // b and c were claimed by a scheduler that "died": after the lease they come back.
    let after = now + lease + Duration::seconds(1);
    let reclaimed = store.claim_due_sends(after, lease, 10).await.unwrap();
    let ids: HashSet<SendId> = reclaimed.iter().map(|x| x.send.id).collect();
    assert_eq!(ids, HashSet::from([b.send.id, c.send.id]));
    assert!(reclaimed.iter().all(|x| x.send.attempts == 2));
    // The dead scheduler's claim no longer finishes anything.
    assert!(
        !store
            .finish_send(b.send.id, b.claim, &SendOutcome::Sent { at: sent_at })
            .await
            .unwrap()
    );
    let b2 = reclaimed.iter().find(|x| x.send.id == b.send.id).unwrap();
    let c2 = reclaimed.iter().find(|x| x.send.id == c.send.id).unwrap();
    let retry_at = after + Duration::minutes(5);
    assert!(
        store
            .finish_send(
                b2.send.id,
                b2.claim,
                &SendOutcome::Retry {
                    next_attempt_at: retry_at,
                    error: "421 busy".into()
                }
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .finish_send(
                c2.send.id,
                c2.claim,
                &SendOutcome::Failed {
                    error: "no address".into()
                }
            )
            .await
            .unwrap()
    );
    let retried = store.send(b.send.id).await.unwrap();
    assert_eq!(
        (retried.state, retried.next_attempt_at),
        (SendState::Pending, retried.next_attempt_at)
    );
    assert_eq!(retried.last_error.as_deref(), Some("421 busy"));
    assert!(
        store
            .claim_due_sends(after, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store.claim_due_sends(retry_at, lease, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].send.attempts, 3);
    assert_eq!(
        store.send(c.send.id).await.unwrap().state,
        SendState::Failed
    );
    assert_eq!(store.sends_of_survey(survey.id).await.unwrap().len(), 4);
    assert_eq!(store.sends_of_respondent(r.id).await.unwrap().len(), 4);
}

/// Concurrent claimers split the due sends between them: none is claimed twice, none is left.
pub async fn concurrent_claims_are_disjoint<S: Store>(store: &S) {
    let (workspace, _, survey) = survey_on_journey(store, SurveyKind::Nps).await;
    let r = respondent(workspace.id, "many");
    store.upsert_respondent(&r).await.unwrap();
    for _ in 0..40 {
        store
            .schedule_send(&send(&survey, r.id, Duration::seconds(-1), None), None)
            .await
            .unwrap();
    }
    let now = Utc::now();
    let claimers = (0..4).map(|_| async move {
        let mut mine = Vec::new();
        loop {
            let batch = store
                .claim_due_sends(now, Duration::seconds(60), 3)
                .await
                .unwrap();
            if batch.is_empty() {
                return mine;
            }
            mine.extend(batch.into_iter().map(|c| c.send.id));
        }
    });
    let all: Vec<SendId> = futures::future::join_all(claimers)
        .await
        .into_iter()
        .flatten()
        .collect();
    let unique: HashSet<SendId> = all.iter().copied().collect();
    assert_eq!(all.len(), 40);
    assert_eq!(unique.len(), 40);
}

/// The frequency cap holds against concurrent schedulers; dedupe keys make firing idempotent;
/// failed sends do not count against the cap.
pub async fn frequency_cap_and_dedupe<S: Store>(store: &S) {
    let (workspace, _, survey) = survey_on_journey(store, SurveyKind::Csat).await;
    let r = respondent(workspace.id, "capped");
    store.upsert_respondent(&r).await.unwrap();
    let cap = Some(FrequencyCap {
        max_sends: 1,
        window_days: 30,
    });
    let attempts = (0..8).map(|i| {
        let s = send(&survey, r.id, Duration::hours(i), None);
        async move { store.schedule_send(&s, cap).await.unwrap() }
    });
    let outcomes = futures::future::join_all(attempts).await;
    assert_eq!(
        outcomes.iter().filter(|o| **o == Scheduled::Queued).count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes.iter().filter(|o| **o == Scheduled::Capped).count(),
        7
    );
    // Outside the window it goes through.
    let far = send(&survey, r.id, Duration::days(31), None);
    assert_eq!(
        store.schedule_send(&far, cap).await.unwrap(),
        Scheduled::Queued
    );

    let other = respondent(workspace.id, "deduped");
    store.upsert_respondent(&other).await.unwrap();
    let keyed = send(
        &survey,
        other.id,
        Duration::hours(2),
        Some("trigger:t1:evt-9"),
    );
    assert_eq!(
        store.schedule_send(&keyed, None).await.unwrap(),
        Scheduled::Queued
    );
    let again = send(
        &survey,
        other.id,
        Duration::hours(2),
        Some("trigger:t1:evt-9"),
    );
    assert_eq!(
        store.schedule_send(&again, None).await.unwrap(),
        Scheduled::Duplicate
    );

    // A failed send frees the cap.
    let third = respondent(workspace.id, "freed");
    store.upsert_respondent(&third).await.unwrap();
    let first = send(&survey, third.id, Duration::seconds(-1), None);
    store.schedule_send(&first, cap).await.unwrap();
    let claimed = store
        .claim_due_sends(Utc::now(), Duration::seconds(30), 100)
        .await
        .unwrap();
    let mine = claimed.iter().find(|c| c.send.id == first.id).unwrap();
    store
        .finish_send(
            first.id,
            mine.claim,
            &SendOutcome::Failed {
                error: "bounced".into(),
            },
        )
        .await
        .unwrap();
    let retry = send(&survey, third.id, Duration::hours(1), None);
    assert_eq!(
        store.schedule_send(&retry, cap).await.unwrap(),
        Scheduled::Queued
    );
}
