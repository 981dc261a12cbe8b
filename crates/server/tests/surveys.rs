//! Surveys end to end against the real server on a random port with a fresh SQLite file:
//! results contract, validation, one answer per personal link, e-mail through a real SMTP
//! server (aiosmtpd, `pip install -r crates/server/tests/support/requirements.txt`),
//! retries to failure without a server, the SMS webhook against a local receiver, triggers,
//! the frequency cap, erasure and the map overlay.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cxmap_domain::{Email, JourneyId, ProjectId, WorkspaceId, templates};
use cxmap_server::surveys::config::{SmtpConfig, SmtpTls, WebhookConfig};
use cxmap_server::{AppState, ServerConfig};
use cxmap_store::{NewToken, Store, ensure_user};
use cxmap_store_sqlite::SqliteStore;
use serde_json::{Value, json};

struct App {
    base: String,
    token: String,
    workspace: WorkspaceId,
    journey: JourneyId,
    touchpoints: Vec<String>,
    client: reqwest::Client,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

async fn spawn_app(tune: impl FnOnce(&mut ServerConfig)) -> App {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cx.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let email = Email::parse("owner@example.com").unwrap();
    let ensured = ensure_user(&*store, &email, "Owner", None, cxmap_domain::now())
        .await
        .unwrap();
    let workspace = ensured.new_workspace.unwrap();
    let project: ProjectId = store.projects(workspace.id).await.unwrap()[0].id;
    let journey = templates::retail_online_shopping(project, cxmap_domain::now());
    store.create_journey(&journey).await.unwrap();
    let token = NewToken::generate();
    store
        .add_token(ensured.user.id, "test", &token.hash)
        .await
        .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = ServerConfig {
        public_url: format!("http://{addr}"),
        ..ServerConfig::default()
    };
    config.surveys.scheduler.poll = Duration::from_millis(50);
    config.surveys.scheduler.retry_base = Duration::from_millis(100);
    config.surveys.public_rate_per_second = 10_000;
    tune(&mut config);
    let state = AppState::new(store.clone(), config).unwrap();
    tokio::spawn(cxmap_server::serve(listener, state, std::future::pending()));
    App {
        base: format!("http://{addr}"),
        token: token.plaintext,
        workspace: workspace.id,
        journey: journey.id,
        touchpoints: journey
            .touchpoints()
            .map(|(_, tp)| tp.id.to_string())
            .collect(),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        store,
        _dir: dir,
    }
}

impl App {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn survey(&self, kind: &str, extra: Value) -> String {
        let mut body = json!({"touchpoint_id": self.touchpoints[0], "kind": kind, "subject": "쇼핑몰",
            "follow_up": {"detractor": {"ko": "무엇이 불편하셨나요?", "en": "What went wrong?"}}});
        if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
            b.extend(e);
        }
        let (status, survey) = self
            .post(&format!("/api/v1/journeys/{}/surveys", self.journey), body)
            .await;
        assert_eq!(status, 201, "{survey}");
        survey["id"].as_str().unwrap().to_owned()
    }

    async fn respondent(&self, customer: &str, body: Value) -> Value {
        let (status, saved) = self
            .call(
                reqwest::Method::PUT,
                &format!(
                    "/api/v1/workspaces/{}/respondents/{customer}",
                    self.workspace
                ),
                Some(body),
            )
            .await;
        assert_eq!(status, 200, "{saved}");
        saved
    }

    async fn answer(&self, survey: &str, body: Value) -> (u16, Value) {
        let resp = self
            .client
            .post(format!(
                "{}/api/v1/public/surveys/{survey}/answers",
                self.base
            ))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn sends(&self, survey: &str) -> Vec<Value> {
        let (status, sends) = self.get(&format!("/api/v1/surveys/{survey}/sends")).await;
        assert_eq!(status, 200);
        sends.as_array().unwrap().clone()
    }

    /// Waits until every send of `survey` is sent or failed.
    async fn settled(&self, survey: &str, count: usize) -> Vec<Value> {
        for _ in 0..300 {
            let sends = self.sends(survey).await;
            if sends.len() == count
                && sends
                    .iter()
                    .all(|s| s["state"] == "sent" || s["state"] == "failed")
            {
                return sends;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("sends did not settle: {:?}", self.sends(survey).await);
    }

    async fn no_quiet_hours(&self, cap: Value) {
        let (status, body) = self
            .call(
                reqwest::Method::PUT,
                &format!("/api/v1/workspaces/{}/survey-policy", self.workspace),
                Some(json!({"cap": cap, "quiet_hours": null, "default_utc_offset_minutes": 540})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
}

#[tokio::test]
async fn results_follow_the_contract_and_bad_scores_are_refused() {
    let app = spawn_app(|_| {}).await;
    let survey = app.survey("nps", json!({})).await;
    // 10, 10, 9, 8, 7, 6, 0, 5, 10, 9 → 5 promoters, 3 detractors: NPS 20 (see domain stats).
    for (score, channel, comment) in [
        (10, "web", "배송이 빨라요"),
        (10, "widget", ""),
        (9, "qr", ""),
        (8, "link", ""),
        (7, "web", ""),
        (6, "web", "포장이 엉망이에요"),
        (0, "web", ""),
        (5, "web", ""),
        (10, "web", ""),
        (9, "web", ""),
    ] {
        let (status, receipt) = app
            .answer(
                &survey,
                json!({"score": score, "channel": channel, "comment": comment}),
            )
            .await;
        assert_eq!(status, 201, "{receipt}");
    }
    for bad in [
        json!({"score": 11}),
        json!({"score": -1}),
        json!({"score": 5, "channel": "email"}),
        json!({"score": 5, "extra": {"nope": "x"}}),
    ] {
        let (status, body) = app.answer(&survey, bad.clone()).await;
        assert_eq!(status, 422, "{bad} → {body}");
        assert_eq!(body["error"]["code"], "invalid_field");
    }
    let csat = app.survey("csat", json!({})).await;
    let (status, body) = app.answer(&csat, json!({"score": 0})).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("score"))
    );

    let (status, r) = app.get(&format!("/api/v1/surveys/{survey}/results")).await;
    assert_eq!(status, 200);
    assert_eq!(r["kind"], "nps");
    assert_eq!(r["n"], 10);
    assert!((r["score"].as_f64().unwrap() - 20.0).abs() < 1e-9);
    let ci = r["ci95"].as_array().unwrap();
    assert!(
        (ci[0].as_f64().unwrap() - (20.0 - 54.032_478)).abs() < 1e-4,
        "{ci:?}"
    );
    assert_eq!(
        r["nps"],
        json!({"promoters": 5, "passives": 2, "detractors": 3})
    );
    assert_eq!(r["distribution"].as_array().unwrap().len(), 11);
    assert_eq!(r["warning"]["code"], "thin_sample");
    assert_eq!(r["trend"].as_array().unwrap().len(), 1);
    let channels: Vec<&str> = r["by_channel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(channels, ["web", "widget", "link", "qr"]);
    assert_eq!(r["comments"].as_array().unwrap().len(), 2);
    assert!(
        r["comments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["text"] == "포장이 엉망이에요"
                && c["score"] == 6
                && c["segment"] == "detractor")
    );

    // The map shows the score on the touchpoint.
    let svg = app
        .client
        .get(format!(
            "{}/api/v1/journeys/{}/map.svg",
            app.base, app.journey
        ))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        svg.contains("NPS") && svg.contains("+20 (n=10)"),
        "overlay missing"
    );
    let (status, empty) = app.get(&format!("/api/v1/surveys/{csat}/results")).await;
    assert_eq!(
        (status, &empty["score"], &empty["ci95"], &empty["n"]),
        (200, &Value::Null, &Value::Null, &json!(0))
    );
}

#[tokio::test]
async fn a_personal_link_answers_once_and_the_page_works_without_javascript() {
    let app = spawn_app(|_| {}).await;
    let survey = app.survey("csat", json!({"allow_anonymous": false})).await;
    app.respondent(
        "cust-1",
        json!({"email": "kim@example.com", "segment": "VIP"}),
    )
    .await;
    let (status, link) = app
        .post(
            &format!("/api/v1/surveys/{survey}/links"),
            json!({"customer_id": "cust-1"}),
        )
        .await;
    assert_eq!(status, 201, "{link}");
    let url = link["url"].as_str().unwrap().to_owned();
    let token = url.split("t=").nth(1).unwrap().to_owned();

    // Anonymous answers are refused on this survey.
    assert_eq!(app.answer(&survey, json!({"score": 4})).await.0, 403);
    // A forged token is refused.
    let (status, body) = app
        .answer(&survey, json!({"score": 4, "token": format!("{token}x")}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("invalid_link"))
    );

    // The hosted page is a plain form with one radio per score, in the browser's language.
    let page = app
        .client
        .get(&url)
        .header("Accept-Language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("How satisfied were you with 쇼핑몰?"),
        "{html}"
    );
    assert_eq!(html.matches("type=radio name=score").count(), 5);
    assert!(html.contains("<form method=post"));
    assert!(!html.contains("<script"));
    let ko = app
        .client
        .get(format!("{url}&lang=ko"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(ko.contains("쇼핑몰에 얼마나 만족하셨습니까?"));

    // Out of range through the form: 422 with the form again and an alert.
    let form = |score: &str| {
        vec![
            ("score".to_owned(), score.to_owned()),
            ("t".to_owned(), token.clone()),
        ]
    };
    let resp = app
        .client
        .post(format!("{}/s/{survey}?lang=en", app.base))
        .form(&form("9"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("role=alert"));

    // A low score: thanks, and the detractor follow-up question.
    let resp = app
        .client
        .post(format!("{}/s/{survey}?lang=ko", app.base))
        .form(&form("2"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let thanks = resp.text().await.unwrap();
    assert!(thanks.contains("무엇이 불편하셨나요?"), "{thanks}");
    let ft = thanks
        .split("name=ft value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let resp = app
        .client
        .post(format!("{}/s/{survey}/followup", app.base))
        .form(&[
            ("ft", ft.as_str()),
            ("comment", "배송 기사님이 불친절했어요"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    // The same link again: 409 with a kind page (form) or JSON (API).
    let resp = app
        .client
        .post(format!("{}/s/{survey}", app.base))
        .header("Accept-Language", "ko")
        .form(&form("5"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 409);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("이미 응답해 주셨습니다")
    );
    let (status, body) = app
        .answer(&survey, json!({"score": 5, "token": token}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("already_answered"))
    );

    let (_, r) = app.get(&format!("/api/v1/surveys/{survey}/results")).await;
    assert_eq!(r["n"], 1);
    assert_eq!(r["by_channel"][0]["key"], "link");
    assert_eq!(r["by_segment"][0]["key"], "VIP");
    assert_eq!(r["comments"][0]["text"], "배송 기사님이 불친절했어요");
}

struct SmtpSink {
    child: Child,
    out: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn smtp_sink() -> SmtpSink {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mail.jsonl");
    let port = free_port();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(port.to_string())
        .arg(&out)
        .stdout(Stdio::piped())
        .spawn()
        .expect(
            "python3 with aiosmtpd (pip install -r crates/server/tests/support/requirements.txt)",
        );
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(
        line.trim(),
        "ready",
        "the SMTP sink did not start (is aiosmtpd installed?)"
    );
    SmtpSink {
        child,
        out,
        port,
        _dir: dir,
    }
}

fn smtp_config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "cxmap <survey@cxmap.test>".into(),
        timeout: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn an_email_goes_through_a_real_smtp_server_and_its_link_answers() {
    let sink = smtp_sink();
    let port = sink.port;
    let app = spawn_app(|c| c.surveys.smtp = Some(smtp_config(port))).await;
    app.no_quiet_hours(Value::Null).await;
    let survey = app.survey("nps", json!({})).await;
    app.respondent(
        "cust-mail",
        json!({"email": "lee@example.com", "segment": "신규"}),
    )
    .await;
    let (status, receipts) = app
        .post(
            &format!("/api/v1/surveys/{survey}/sends"),
            json!({"customer_ids": ["cust-mail", "nobody"], "channel": "email"}),
        )
        .await;
    assert_eq!(status, 202, "{receipts}");
    assert_eq!(receipts[0]["outcome"], "queued");
    assert_eq!(receipts[1]["outcome"], "unknown_customer");
    let send_id = receipts[0]["send_id"].as_str().unwrap().to_owned();
    let sends = app.settled(&survey, 1).await;
    assert_eq!(sends[0]["state"], "sent", "{sends:?}");

    let mail: Value = serde_json::from_str(
        std::fs::read_to_string(&sink.out)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(mail["to"], json!(["lee@example.com"]));
    assert!(
        mail["message_id"]
            .as_str()
            .unwrap()
            .contains(&format!("survey-send-{send_id}@"))
    );
    assert_eq!(mail["list_unsubscribe_post"], "List-Unsubscribe=One-Click");
    let text = mail["text"].as_str().unwrap();
    assert!(text.contains("추천할 가능성"), "{text}");
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/s/") && w.contains("?t="))
        .unwrap()
        .to_owned();

    // The link opens the page and answers with channel e-mail.
    let token = link.split("t=").nth(1).unwrap();
    let resp = app
        .client
        .post(format!("{}/s/{survey}", app.base))
        .form(&[("score", "9"), ("t", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, r) = app.get(&format!("/api/v1/surveys/{survey}/results")).await;
    assert_eq!(
        (
            r["n"].as_u64(),
            r["by_channel"][0]["key"].as_str(),
            r["by_segment"][0]["key"].as_str()
        ),
        (Some(1), Some("email"), Some("신규"))
    );

    // The signed unsubscribe link is respected: nothing more is queued.
    let unsubscribe = mail["list_unsubscribe"]
        .as_str()
        .unwrap()
        .trim_matches(['<', '>'])
        .to_owned();
    let resp = app
        .client
        .post(&unsubscribe)
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, receipts) = app
        .post(
            &format!("/api/v1/surveys/{survey}/sends"),
            json!({"customer_ids": ["cust-mail"], "channel": "email"}),
        )
        .await;
    assert_eq!(receipts[0]["outcome"], "unsubscribed");
}

#[tokio::test]
async fn without_an_smtp_server_sends_are_retried_then_marked_failed() {
    let dead = free_port();
    let app = spawn_app(|c| {
        c.surveys.smtp = Some(smtp_config(dead));
        c.surveys.scheduler.max_attempts = 3;
    })
    .await;
    app.no_quiet_hours(Value::Null).await;
    let survey = app.survey("ces", json!({})).await;
    app.respondent("cust-x", json!({"email": "x@example.com"}))
        .await;
    app.post(
        &format!("/api/v1/surveys/{survey}/sends"),
        json!({"customer_ids": ["cust-x"], "channel": "email"}),
    )
    .await;
    let sends = app.settled(&survey, 1).await;
    assert_eq!(sends[0]["state"], "failed", "{sends:?}");
    assert_eq!(sends[0]["attempts"], 3);
    assert!(
        sends[0]["last_error"].as_str().unwrap().contains("SMTP"),
        "{sends:?}"
    );
}

/// (the request's signature header, its JSON body)
type Delivery = (Option<String>, Value);

#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<Delivery>>>);

async fn webhook_receiver(fail_first: usize) -> (SocketAddr, Received) {
    let received = Received::default();
    let seen = received.clone();
    let calls = Arc::new(Mutex::new(0usize));
    let app = axum::Router::new().route(
        "/send",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, axum::Json(body): axum::Json<Value>| {
                let seen = seen.clone();
                let calls = calls.clone();
                async move {
                    let n = {
                        let mut c = calls.lock().unwrap();
                        *c += 1;
                        *c
                    };
                    let key = headers
                        .get("idempotency-key")
                        .map(|v| v.to_str().unwrap().to_owned());
                    seen.0.lock().unwrap().push((key, body));
                    if n <= fail_first {
                        axum::http::StatusCode::BAD_GATEWAY
                    } else {
                        axum::http::StatusCode::OK
                    }
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, received)
}

#[tokio::test]
async fn sms_goes_to_the_webhook_and_a_failure_is_retried() {
    let (addr, received) = webhook_receiver(1).await;
    let app = spawn_app(|c| {
        c.surveys.webhook = Some(WebhookConfig {
            url: format!("http://{addr}/send"),
            template: r#"{"msg":{"to":"{{phone}}","text":"{{text}}"},"type":"{{channel}}","ref":"{{send_id}}"}"#.into(),
            authorization: None,
            timeout: Duration::from_secs(5),
        })
    })
    .await;
    app.no_quiet_hours(Value::Null).await;
    let survey = app.survey("csat", json!({})).await;
    app.respondent("cust-sms", json!({"phone": "010-1234-5678"}))
        .await;
    let (_, receipts) = app
        .post(
            &format!("/api/v1/surveys/{survey}/sends"),
            json!({"customer_ids": ["cust-sms"], "channel": "kakao"}),
        )
        .await;
    let send_id = receipts[0]["send_id"].as_str().unwrap().to_owned();
    let sends = app.settled(&survey, 1).await;
    assert_eq!(
        (sends[0]["state"].as_str(), sends[0]["attempts"].as_u64()),
        (Some("sent"), Some(2)),
        "{sends:?}"
    );
    let calls = received.0.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    for (key, body) in &calls {
        assert_eq!(key.as_deref(), Some(send_id.as_str()));
        assert_eq!(body["msg"]["to"], "+821012345678");
        assert_eq!(body["type"], "kakao");
        assert_eq!(body["ref"], send_id.as_str());
        assert!(
            body["msg"]["text"]
                .as_str()
                .unwrap()
                .contains(&format!("/s/{survey}?t="))
        );
    }
}

#[tokio::test]
async fn triggers_fire_from_events_and_the_frequency_cap_holds() {
    let app = spawn_app(|c| c.surveys.scheduler.enabled = false).await;
    app.no_quiet_hours(json!({"max_sends": 1, "window_days": 30}))
        .await;
    let csat = app.survey("csat", json!({})).await;
    let nps = app.survey("nps", json!({})).await;
    let ws = app.workspace;
    let (status, trigger) = app.post(&format!("/api/v1/workspaces/{ws}/survey-triggers"),
        json!({"survey_id": csat, "rule": {"type": "event", "name": "order_delivered"}, "delay_minutes": 120, "channel": "email"})).await;
    assert_eq!(status, 201, "{trigger}");
    app.post(&format!("/api/v1/workspaces/{ws}/survey-triggers"),
        json!({"survey_id": nps, "rule": {"type": "lifecycle_stage", "stage": "loyal"}, "channel": "sms"})).await;
    app.post(&format!("/api/v1/workspaces/{ws}/survey-triggers"),
        json!({"survey_id": nps, "rule": {"type": "days_after_date", "attribute": "signup_date", "days": 30}, "channel": "email"})).await;
    app.respondent(
        "c1",
        json!({"email": "c1@example.com", "phone": "+821011112222", "lifecycle_stage": "active"}),
    )
    .await;

    // Whole seconds, so that the expected due time prints the way the API writes it.
    let now = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).unwrap();
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let week_later =
        (now + chrono::Duration::days(7)).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let fire = |event: &str, at: &str, customer: &str| json!({"workspace_id": ws, "customer_id": customer, "event": event, "at": at});
    let (status, report) = app
        .post(
            "/api/v1/surveys/triggers/fire",
            fire("order_delivered", &at, "c1"),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["scheduled"].as_array().unwrap().len(), 1);
    let sends = app.sends(&csat).await;
    let two_hours_later =
        (now + chrono::Duration::hours(2)).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    assert_eq!(sends[0]["due_at"], two_hours_later.as_str());
    assert_eq!(sends[0]["channel"], "email");
    // The same event again (a re-delivered batch) queues nothing.
    let (_, again) = app
        .post(
            "/api/v1/surveys/triggers/fire",
            fire("order_delivered", &at, "c1"),
        )
        .await;
    assert_eq!(
        (
            again["scheduled"].as_array().unwrap().len(),
            again["duplicates"].as_u64()
        ),
        (0, Some(1))
    );
    // Another delivery a week later: the 1-per-30-days cap holds.
    let (_, capped) = app
        .post(
            "/api/v1/surveys/triggers/fire",
            fire("order_delivered", &week_later, "c1"),
        )
        .await;
    assert_eq!(
        (
            capped["scheduled"].as_array().unwrap().len(),
            capped["capped"].as_u64()
        ),
        (0, Some(1))
    );
    // Across surveys too: reaching the lifecycle stage is capped for c1 …
    let saved = app
        .respondent(
            "c1",
            json!({"email": "c1@example.com", "lifecycle_stage": "loyal"}),
        )
        .await;
    assert_eq!(saved["fired"]["capped"], 1, "{saved}");
    // … but not for a fresh customer; other events and unknown customers queue nothing.
    let saved = app
        .respondent(
            "c2",
            json!({"phone": "+821033334444", "lifecycle_stage": "loyal"}),
        )
        .await;
    assert_eq!(
        saved["fired"]["scheduled"].as_array().unwrap().len(),
        1,
        "{saved}"
    );
    let (_, other) = app
        .post(
            "/api/v1/surveys/triggers/fire",
            fire("page_viewed", &at, "c1"),
        )
        .await;
    assert!(other["scheduled"].as_array().unwrap().is_empty());
    let (_, unknown) = app
        .post(
            "/api/v1/surveys/triggers/fire",
            fire("order_delivered", &at, "zz"),
        )
        .await;
    assert_eq!(unknown["skipped"], "unknown customer");
    // 30 days after sign-up.
    let saved = app
        .respondent(
            "c3",
            json!({"email": "c3@example.com", "dates": {"signup_date": "2031-06-01"}}),
        )
        .await;
    let id = saved["fired"]["scheduled"][0].as_str().unwrap();
    let sends = app.sends(&nps).await;
    let due = sends.iter().find(|s| s["id"] == id).unwrap();
    assert_eq!(due["due_at"], "2031-07-01T00:00:00Z");
    // An editor is needed to fire.
    let resp = app
        .client
        .post(format!("{}/api/v1/surveys/triggers/fire", app.base))
        .json(&fire("x", &at, "c1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn quiet_hours_delay_a_send_to_the_local_morning() {
    let app = spawn_app(|c| c.surveys.scheduler.enabled = false).await;
    // The default policy: quiet 21:00–08:00 in Korea (UTC+9).
    let csat = app.survey("csat", json!({})).await;
    app.respondent("night", json!({"email": "n@example.com"}))
        .await;
    let (_, receipts) = app
        .post(
            &format!("/api/v1/surveys/{csat}/sends"),
            json!({"customer_ids": ["night"], "channel": "email", "at": "2031-05-01T14:00:00Z"}),
        )
        .await;
    assert_eq!(receipts[0]["outcome"], "queued");
    assert_eq!(app.sends(&csat).await[0]["due_at"], "2031-05-01T23:00:00Z");
}

#[tokio::test]
async fn erasing_a_respondent_removes_answers_and_sends() {
    let app = spawn_app(|c| c.surveys.scheduler.enabled = false).await;
    app.no_quiet_hours(Value::Null).await;
    let survey = app.survey("nps", json!({})).await;
    app.respondent("gone", json!({"email": "g@example.com"}))
        .await;
    let (_, link) = app
        .post(
            &format!("/api/v1/surveys/{survey}/links"),
            json!({"customer_id": "gone"}),
        )
        .await;
    let token = link["url"]
        .as_str()
        .unwrap()
        .split("t=")
        .nth(1)
        .unwrap()
        .to_owned();
    assert_eq!(
        app.answer(&survey, json!({"score": 3, "token": token}))
            .await
            .0,
        201
    );
    app.post(
        &format!("/api/v1/surveys/{survey}/sends"),
        json!({"customer_ids": ["gone"], "channel": "email", "at": "2031-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(app.answer(&survey, json!({"score": 10})).await.0, 201);
    let (status, _) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/workspaces/{}/respondents/gone", app.workspace),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, r) = app.get(&format!("/api/v1/surveys/{survey}/results")).await;
    assert_eq!(r["n"], 1);
    assert!(app.sends(&survey).await.is_empty());
    let (status, _) = app
        .get(&format!(
            "/api/v1/workspaces/{}/respondents/gone",
            app.workspace
        ))
        .await;
    assert_eq!(status, 404);
    assert!(app.store.count_users().await.unwrap() >= 1);
}

#[tokio::test]
async fn the_widget_script_is_small_and_self_contained() {
    let app = spawn_app(|_| {}).await;
    let survey = app
        .survey("ces", json!({"branding": {"colour": "#0F766E"}}))
        .await;
    let resp = app
        .client
        .get(format!("{}/s/{survey}/widget.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let js = resp.text().await.unwrap();
    assert!(js.len() < 6 * 1024, "{} bytes", js.len());
    assert!(
        !js.contains("http://") && !js.contains("https://"),
        "no third-party URLs"
    );
    assert!(js.contains("#0f766e"));
    // CORS preflight of the public endpoint.
    let resp = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/v1/public/surveys/{survey}/answers", app.base),
        )
        .header("Origin", "https://shop.example")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "preflight: {}", resp.status());
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let qr = app
        .client
        .get(format!("{}/s/{survey}/qr.svg", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(qr.status(), 200);
    assert!(qr.text().await.unwrap().starts_with("<?xml"));
}
