//! The send scheduler: drains `survey_sends` through SMTP or the message webhook.
//!
//! # Exactly once, and its limits
//! - *None lost*: a send is a row before anything is sent; it leaves `pending`/`sending` only
//!   as `sent` (after the SMTP server or webhook accepted it) or `failed` (attempt limit or a
//!   permanent refusal, with the reason kept). A process killed mid-batch leaves its rows in
//!   `sending`; when their lease expires any scheduler claims them again.
//! - *No duplicates*: claims are exclusive (one UPDATE on SQLite, `FOR UPDATE SKIP LOCKED`
//!   on PostgreSQL) and only the claim holder can finish a row. Each send is marked `sent`
//!   right after its own hand-over, not at the end of the batch, and a batch stops before
//!   its lease could run out, so a live scheduler never races a reclaimer.
//! - *The one window*: a crash after the server accepted a message but before the `sent`
//!   row committed (one local write, milliseconds) makes that one send go out again after the
//!   lease. SMTP and HTTP have no two-phase commit, so no sender can close this window; the
//!   duplicate carries the same Message-ID (`<survey-send-{id}@…>`) or `Idempotency-Key`,
//!   so mail stores and message providers can drop it, and an answer through either copy's
//!   link is accepted once (the link's nonce is the send id).

use std::sync::Arc;
use std::time::Instant;

use chrono::Duration;
use cxmap_domain::Lang;
use cxmap_domain::survey::schedule::retry_delay;
use cxmap_domain::survey::{SendChannel, Survey, SurveySend};
use cxmap_store::{ClaimedSend, SendOutcome, StoreError};
use tokio::task::JoinHandle;

use super::token::Grant;
use super::{mailer, webhook};
use crate::AppState;

/// Starts the scheduler on the runtime; it runs until the handle is aborted.
pub fn spawn(state: AppState) -> JoinHandle<()> {
    let client = reqwest::Client::new();
    tokio::spawn(async move {
        let config = &state.config.surveys.scheduler;
        loop {
            let worked = match tick(&state, &client).await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "survey scheduler: store error");
                    false
                }
            };
            if !worked {
                tokio::time::sleep(config.poll).await;
            }
        }
    })
}

/// One scan: claims due sends and delivers them. Returns how many were claimed.
pub async fn tick(state: &AppState, client: &reqwest::Client) -> Result<usize, StoreError> {
    let config = &state.config.surveys.scheduler;
    let lease = Duration::from_std(config.lease).unwrap_or(Duration::minutes(5));
    let started = Instant::now();
    let claimed = state
        .store
        .claim_due_sends(cxmap_domain::now(), lease, config.batch)
        .await?;
    let count = claimed.len();
    for claim in claimed {
        // Leave the rest to a reclaim rather than risk finishing after the lease.
        if started.elapsed() > config.lease / 2 {
            break;
        }
        let outcome = deliver(state, client, &claim).await;
        let finished = state
            .store
            .finish_send(claim.send.id, claim.claim, &outcome)
            .await?;
        if !finished {
            tracing::warn!(send = %claim.send.id, "survey send was reclaimed before it finished");
        }
    }
    Ok(count)
}

async fn deliver(state: &AppState, client: &reqwest::Client, claim: &ClaimedSend) -> SendOutcome {
    let send = &claim.send;
    let result = attempt(state, client, send).await;
    match result {
        Ok(()) => SendOutcome::Sent {
            at: cxmap_domain::now(),
        },
        Err(Attempt { error, permanent }) => {
            let config = &state.config.surveys.scheduler;
            if permanent || send.attempts >= config.max_attempts {
                tracing::warn!(send = %send.id, attempts = send.attempts, %error, "survey send failed");
                SendOutcome::Failed { error }
            } else {
                let base = Duration::from_std(config.retry_base).unwrap_or(Duration::minutes(1));
                SendOutcome::Retry {
                    next_attempt_at: cxmap_domain::now() + retry_delay(base, send.attempts),
                    error,
                }
            }
        }
    }
}

struct Attempt {
    error: String,
    permanent: bool,
}

fn permanent(error: impl Into<String>) -> Attempt {
    Attempt {
        error: error.into(),
        permanent: true,
    }
}

async fn attempt(
    state: &AppState,
    client: &reqwest::Client,
    send: &SurveySend,
) -> Result<(), Attempt> {
    let store = &state.store;
    let survey = store.survey(send.survey_id).await.map_err(store_failure)?;
    let respondent = store
        .respondent(send.respondent_id)
        .await
        .map_err(store_failure)?;
    if respondent.unsubscribed_at.is_some() {
        return Err(permanent("unsubscribed"));
    }
    if !survey.active {
        return Err(permanent("survey inactive"));
    }
    let secrets = &state.config.surveys;
    let base = state.config.public_url.trim_end_matches('/');
    let token = Grant::Answer {
        survey: survey.id,
        respondent: respondent.id,
        nonce: send.id.as_uuid(),
        channel: send.channel.answer_channel(),
    }
    .sign(&secrets.secret);
    // Korean first: the product's home market; the page itself follows the browser.
    let lang = Lang::Ko;
    let url = format!("{base}/s/{}?t={token}", survey.id);
    let send_id = send.id.to_string();
    match send.channel {
        SendChannel::Email => {
            let Some(smtp) = &secrets.smtp else {
                return Err(permanent("no SMTP server configured (--smtp-host)"));
            };
            let Some(to) = &respondent.email else {
                return Err(permanent("the respondent has no e-mail address"));
            };
            let unsubscribe = format!(
                "{base}/s/unsubscribe?t={}",
                Grant::Unsubscribe {
                    respondent: respondent.id
                }
                .sign(&secrets.secret)
            );
            let (text, html) = email_bodies(&survey, &url, &unsubscribe);
            mailer::send(
                smtp,
                mailer::SurveyMail {
                    send_id: &send_id,
                    to: to.as_str(),
                    subject: &format!("{} / {}", survey.question(lang), survey.question(Lang::En)),
                    text,
                    html,
                    unsubscribe_url: &unsubscribe,
                },
            )
            .await
            .map_err(|e| Attempt {
                error: e.message,
                permanent: e.permanent,
            })
        }
        SendChannel::Sms | SendChannel::Kakao => {
            let Some(hook) = &secrets.webhook else {
                return Err(permanent(
                    "no message webhook configured (--sms-webhook-url)",
                ));
            };
            let Some(phone) = &respondent.phone else {
                return Err(permanent("the respondent has no phone number"));
            };
            let text = format!("{} {url}", survey.question(lang));
            webhook::send(
                client,
                hook,
                &send_id,
                &[
                    ("phone", phone.as_str()),
                    ("text", &text),
                    ("url", &url),
                    ("channel", send.channel.code()),
                    ("send_id", &send_id),
                    ("kind", survey.kind.code()),
                    ("customer_id", respondent.customer_id.as_str()),
                ],
            )
            .await
            .map_err(|e| Attempt {
                error: e.message,
                permanent: e.permanent,
            })
        }
    }
}

fn store_failure(e: StoreError) -> Attempt {
    match e {
        StoreError::NotFound { .. } => permanent(e.to_string()),
        other => Attempt {
            error: other.to_string(),
            permanent: false,
        },
    }
}

/// The bilingual e-mail: the question with one link per score (one click answers) and the
/// unsubscribe link.
fn email_bodies(survey: &Survey, url: &str, unsubscribe: &str) -> (String, String) {
    let (min, max) = survey.kind.scale();
    let esc = crate::pages::escape;
    let mut text = format!(
        "{}\n{}\n\n{url}\n\n수신 거부 / Unsubscribe: {unsubscribe}\n",
        survey.question(Lang::Ko),
        survey.question(Lang::En)
    );
    text.push('\n');
    let colour = survey
        .branding
        .colour
        .as_ref()
        .map_or("#1f6feb", |c| c.as_str());
    let mut scores = String::new();
    for v in min..=max {
        scores.push_str(&format!(
            "<a href=\"{u}&amp;score={v}\" style=\"display:inline-block;min-width:28px;padding:8px 4px;margin:2px;border-radius:6px;background:{colour};color:#fff;text-decoration:none;text-align:center\">{v}</a>",
            u = esc(url)
        ));
    }
    let (lo_ko, hi_ko) = survey.kind.anchors(Lang::Ko);
    let (lo_en, hi_en) = survey.kind.anchors(Lang::En);
    let html = format!(
        "<!doctype html><html lang=\"ko\"><body style=\"font-family:sans-serif;color:#1f2933\">\
         <p style=\"font-size:16px\"><b>{q_ko}</b><br>{q_en}</p><p>{scores}</p>\
         <p style=\"font-size:12px;color:#616e7c\">{min} = {lo_ko} / {lo_en} · {max} = {hi_ko} / {hi_en}</p>\
         <p><a href=\"{u}\">설문 열기 / Open the survey</a></p>\
         <p style=\"font-size:12px;color:#616e7c\"><a href=\"{unsub}\">수신 거부 / Unsubscribe</a></p></body></html>",
        q_ko = esc(&survey.question(Lang::Ko)),
        q_en = esc(&survey.question(Lang::En)),
        u = esc(url),
        unsub = esc(unsubscribe),
    );
    (text, html)
}

/// Keeps the scheduler's handle so that dropping the server stops it.
pub struct SchedulerGuard(pub Option<Arc<JoinHandle<()>>>);

impl Drop for SchedulerGuard {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.abort();
        }
    }
}
