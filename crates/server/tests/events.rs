//! Event ingest, imports, mapping rules and journey analytics through the real HTTP server on a
//! fresh SQLite file per test.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use cxmap_domain::{Email, Journey, ProjectId, WorkspaceId, templates};
use cxmap_server::{AppState, ServerConfig};
use cxmap_store::{NewToken, Store, ensure_user};
use cxmap_store_sqlite::SqliteStore;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct App {
    base: String,
    token: String,
    store: Arc<dyn Store>,
    workspace: WorkspaceId,
    project: ProjectId,
    http: reqwest::Client,
}

const BODY_LIMIT: usize = 256 * 1024;

async fn spawn_app() -> App {
    let dir = tempfile::tempdir().unwrap().keep();
    let store = SqliteStore::connect(&format!("sqlite://{}", dir.join("t.db").display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let email = Email::parse("owner@example.com").unwrap();
    let ensured = ensure_user(&*store, &email, "Owner", None, cxmap_domain::now())
        .await
        .unwrap();
    let workspace = ensured.new_workspace.unwrap().id;
    let project = store.projects(workspace).await.unwrap()[0].id;
    let token = NewToken::generate();
    store
        .add_token(ensured.user.id, "test", &token.hash)
        .await
        .unwrap();
    let config = ServerConfig {
        body_limit: BODY_LIMIT,
        ..ServerConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(store.clone(), config).unwrap();
    tokio::spawn(cxmap_server::serve(
        listener,
        state,
        std::future::pending::<()>(),
    ));
    App {
        base,
        token: token.plaintext,
        store,
        workspace,
        project,
        http: reqwest::Client::new(),
    }
}

impl App {
    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    async fn get_json(&self, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        r.json().await.unwrap()
    }

    async fn ingest(&self, body: &Value, key: Option<&str>) -> reqwest::Response {
        let mut req = self.post("/api/v1/events").json(body);
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        req.send().await.unwrap()
    }

    async fn journey(&self) -> Journey {
        let journey = templates::retail_online_shopping(self.project, cxmap_domain::now());
        self.store.create_journey(&journey).await.unwrap();
        journey
    }

    async fn raw_events(&self, journey: &Journey) -> u64 {
        let dfg = self
            .get_json(&format!(
                "/api/v1/journeys/{}/analytics/dfg?raw=true",
                journey.id
            ))
            .await;
        dfg["events"].as_u64().unwrap()
    }
}

fn event(case: &str, name: &str, ts: &str) -> Value {
    json!({"case_id": case, "event": name, "timestamp": ts})
}

async fn error_of(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    (status, body["error"].clone())
}

#[tokio::test]
async fn json_and_ndjson_batches_are_stored() {
    let app = spawn_app().await;
    let journey = app.journey().await;
    let r = app
        .ingest(
            &json!([
                event("c1", "광고 클릭", "2024-05-01T09:00:00+09:00"),
                {"customer_id": "c1", "activity": "검색", "timestamp": "2024-05-01T00:01:00Z",
                 "attributes": {"채널": "앱", "amount": 12000}},
            ]),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["events"], 2);
    assert_eq!(receipt["replayed"], false);
    assert_eq!(receipt["workspace_id"], app.workspace.to_string());

    let ndjson = "{\"case_id\":\"c2\",\"event\":\"광고 클릭\",\"timestamp\":\"2024-05-01T00:00:00Z\"}\n\
                  {\"case_id\":\"c2\",\"event\":\"상품 조회\",\"timestamp\":\"2024-05-01T00:05:00Z\"}\n";
    let r = app
        .post("/api/v1/events")
        .header("Content-Type", "application/x-ndjson")
        .body(ndjson)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let dfg = app
        .get_json(&format!(
            "/api/v1/journeys/{}/analytics/dfg?raw=true",
            journey.id
        ))
        .await;
    assert_eq!(dfg["events"], 4);
    assert_eq!(dfg["cases"], 2);
    assert_eq!(dfg["start"]["광고 클릭"], 2);
    assert!(dfg["edges"][0]["mean_seconds"].as_f64().unwrap() > 0.0);

    let r = app
        .post("/api/v1/events")
        .header("Content-Type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

/// The store keeps events in arrival order; analyses still see each case in time order, with
/// events of the same instant in arrival order.
#[tokio::test]
async fn a_case_sent_over_several_batches_out_of_time_order_is_analysed_in_time_order() {
    let app = spawn_app().await;
    let journey = app.journey().await;
    let batches = [
        json!([
            event("c1", "결제", "2024-05-01T00:09:00Z"),
            event("c2", "검색", "2024-05-01T00:00:00Z"),
        ]),
        json!([
            event("c1", "장바구니", "2024-05-01T00:05:00Z"),
            event("c2", "장바구니", "2024-05-01T00:01:00Z"),
        ]),
        json!([
            event("c1", "검색", "2024-05-01T00:01:00Z"),
            // Same instant as c2's 장바구니: arrival order puts it second.
            event("c2", "결제", "2024-05-01T00:01:00Z"),
        ]),
    ];
    for batch in &batches {
        assert_eq!(app.ingest(batch, None).await.status(), StatusCode::CREATED);
    }
    let variants = app
        .get_json(&format!(
            "/api/v1/journeys/{}/analytics/variants?raw=true",
            journey.id
        ))
        .await;
    assert_eq!(variants["cases"], 2);
    assert_eq!(
        variants["variants"],
        json!([{"activities": ["검색", "장바구니", "결제"], "count": 2}]),
        "{variants}"
    );
}

#[tokio::test]
async fn a_repeated_idempotency_key_is_not_counted_twice() {
    let app = spawn_app().await;
    let journey = app.journey().await;
    let batch = json!([
        event("c1", "검색", "2024-05-01T00:00:00Z"),
        event("c1", "상품 조회", "2024-05-01T00:00:01Z"),
    ]);
    let first = app.ingest(&batch, Some("batch-0001")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = app.ingest(&batch, Some("batch-0001")).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["replayed"], true);
    assert_eq!(again["events"], first["events"]);
    assert_eq!(again["received_at"], first["received_at"]);
    assert_eq!(app.raw_events(&journey).await, 2);

    let other = json!([event("c9", "검색", "2024-05-01T00:00:00Z")]);
    let (status, error) = error_of(app.ingest(&other, Some("batch-0001")).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["code"], "idempotency_key_reused");
    assert_eq!(app.raw_events(&journey).await, 2);
    assert_eq!(
        app.ingest(&other, Some("batch-0002")).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(app.raw_events(&journey).await, 3);
}

#[tokio::test]
async fn a_bad_event_names_its_index_and_nothing_of_the_batch_lands() {
    let app = spawn_app().await;
    let journey = app.journey().await;
    let (status, error) = error_of(
        app.ingest(
            &json!([
                event("c1", "검색", "2024-05-01T00:00:00Z"),
                event("c1", "검색", "2024-05-01T00:00:01Z"),
                event("c1", "결제 시작", "어제 오후"),
            ]),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["code"], "invalid_field");
    assert_eq!(error["field"], "[2].timestamp");
    assert!(
        error["message"].as_str().unwrap().contains("어제 오후"),
        "{error}"
    );

    let (status, error) = error_of(
        app.ingest(
            &json!([{"case_id": "c1", "timestamp": "2024-05-01T00:00:00Z"}]),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "[0].event");

    let r = app
        .post("/api/v1/events")
        .header("Content-Type", "application/x-ndjson")
        .body("{\"case_id\":\"c\",\"event\":\"e\",\"timestamp\":\"2024-05-01T00:00:00Z\"}\n{\"case_id\":\"c\",\"event\":\"e\"}\n")
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "line 2.timestamp");
    assert_eq!(app.raw_events(&journey).await, 0);
}

#[tokio::test]
async fn an_oversized_batch_is_413_in_json() {
    let app = spawn_app().await;
    let journey = app.journey().await;
    let big: Vec<Value> = (0..5000)
        .map(|i| event(&format!("case-{i}"), "상품 조회", "2024-05-01T00:00:00Z"))
        .collect();
    let body = serde_json::to_vec(&big).unwrap();
    assert!(body.len() > BODY_LIMIT);
    let (status, error) = error_of(app.ingest(&Value::Array(big), None).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error["code"], "payload_too_large");
    assert_eq!(app.raw_events(&journey).await, 0);
}

/// The retail template's touchpoints by name.
fn tp(journey: &Journey, name: &str) -> String {
    journey
        .touchpoints()
        .find(|(_, t)| t.name.as_str() == name)
        .map(|(_, t)| t.id.to_string())
        .unwrap()
}

#[tokio::test]
async fn mapping_rules_map_events_and_unmapped_names_are_listed() {
    let app = spawn_app().await;
    let journey = app.journey().await;
    let day = |h: u32| format!("2024-05-01T{h:02}:00:00Z");
    let mut events = Vec::new();
    for case in ["a", "b", "c"] {
        events.push(event(case, "광고 클릭", &day(1)));
        events.push(event(case, "결제 시작", &day(2)));
    }
    events.push(event("a", "결제 완료", &day(3)));
    events.push(event("a", "앱 실행", &day(4)));
    events.push(event("b", "앱 실행", &day(4)));
    events.push(event("c", "푸시 수신", &day(5)));
    assert_eq!(
        app.ingest(&Value::Array(events), None).await.status(),
        StatusCode::CREATED
    );
    let rules = format!("/api/v1/journeys/{}/event-rules", journey.id);
    for (kind, pattern, name) in [
        ("exact", "광고 클릭", "SNS 광고"),
        ("prefix", "결제", "모바일 결제"),
    ] {
        let r = app
            .post(&rules)
            .json(&json!({"kind": kind, "pattern": pattern, "touchpoint_id": tp(&journey, name)}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let (status, error) = error_of(
        app.post(&rules)
            .json(&json!({"kind": "regex", "pattern": "(앱", "touchpoint_id": tp(&journey, "사이트 검색")}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "pattern");

    let unmapped = app
        .get_json(&format!("/api/v1/journeys/{}/events/unmapped", journey.id))
        .await;
    assert_eq!(unmapped["events"], 10);
    assert_eq!(unmapped["mapped_events"], 7);
    assert_eq!(
        unmapped["unmapped"],
        json!([{"event": "앱 실행", "count": 2}, {"event": "푸시 수신", "count": 1}])
    );

    let dfg = app
        .get_json(&format!("/api/v1/journeys/{}/analytics/dfg", journey.id))
        .await;
    assert_eq!(dfg["activities"], json!({"SNS 광고": 3, "모바일 결제": 4}));
    assert_eq!(dfg["end"], json!({"모바일 결제": 3}));
    // The editor's badges: per mapped touchpoint in designed order, cases and where they ended.
    let volumes = app
        .get_json(&format!(
            "/api/v1/journeys/{}/analytics/touchpoints",
            journey.id
        ))
        .await;
    assert_eq!(
        volumes,
        json!({"cases": 3, "touchpoints": [
            {"id": tp(&journey, "SNS 광고"), "cases": 3, "ended_here": 0},
            {"id": tp(&journey, "모바일 결제"), "cases": 3, "ended_here": 3},
        ]})
    );

    // A regex rule picks up the rest; the list of rules is oldest first.
    let r = app
        .post(&rules)
        .json(&json!({"kind": "regex", "pattern": "^(앱|푸시)", "touchpoint_id": tp(&journey, "사이트 검색")}))
        .send()
        .await
        .unwrap();
    let regex_rule: Value = r.json().await.unwrap();
    let listed = app.get_json(&rules).await;
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(listed[2]["kind"], "regex");
    let unmapped = app
        .get_json(&format!("/api/v1/journeys/{}/events/unmapped", journey.id))
        .await;
    assert_eq!(unmapped["unmapped"], json!([]));

    // Conformance against the designed order: skipped touchpoints are counted per step.
    let conf = app
        .get_json(&format!(
            "/api/v1/journeys/{}/analytics/conformance",
            journey.id
        ))
        .await;
    assert_eq!(conf["cases"], 3);
    assert_eq!(conf["steps"][0]["activity"], "SNS 광고");
    assert_eq!(conf["steps"][0]["in_order"], 3);

    // The map shows volume and drop-off; the process map draws the mapped touchpoints.
    let svg = app
        .http
        .get(format!(
            "{}/api/v1/journeys/{}/map.svg?lang=ko",
            app.base, journey.id
        ))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(svg.contains("이탈"), "no drop-off badge");
    let pm = app
        .http
        .get(format!(
            "{}/api/v1/journeys/{}/analytics/process-map.svg",
            app.base, journey.id
        ))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(pm.headers()["content-type"], "image/svg+xml");
    let pm = pm.text().await.unwrap();
    assert!(pm.contains("모바일 결제") && pm.contains("SNS 광고"));

    // Updating and deleting rules.
    let id = regex_rule["id"].as_str().unwrap();
    let r = app
        .http
        .patch(format!("{}/api/v1/event-rules/{id}", app.base))
        .bearer_auth(&app.token)
        .json(&json!({"pattern": "^앱"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .http
        .delete(format!("{}/api/v1/event-rules/{id}", app.base))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_json(&rules).await.as_array().unwrap().len(), 2);
}

/// A generated log with loops, ties and drop-offs.
fn csv_log() -> String {
    let names = [
        "광고 클릭",
        "검색",
        "상품 조회",
        "결제 시작",
        "결제 완료",
        "배송 완료",
        "문의",
        "리뷰 작성",
    ];
    let mut out = String::from("case_id,activity,timestamp\n");
    let mut seed = 7u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for case in 0..300 {
        let mut t = 1_714_521_600 + case * 37;
        let steps = 1 + next() % 10;
        let mut at = 0usize;
        for _ in 0..steps {
            at = match next() % 10 {
                0 => at.saturating_sub(1),
                1 => at,
                _ => (at + 1).min(names.len() - 1),
            };
            t += (next() % 5000) as i64 * i64::from(next() % 7 != 0);
            let ts = chrono::DateTime::from_timestamp(t, 0).unwrap().to_rfc3339();
            out.push_str(&format!("c{case:03},{},{ts}\n", names[at]));
        }
    }
    out
}

#[tokio::test]
async fn api_analyses_equal_the_cli_results_on_the_same_file() {
    let app = spawn_app().await;
    let journey = app.journey().await;
    let csv = csv_log();
    let r = app
        .post("/api/v1/events/import?format=csv")
        .body(csv.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let receipt: Value = r.json().await.unwrap();

    // What `cxmap analyze` computes on the same file.
    let log = cxmap_logfile::read(
        csv.as_bytes(),
        0,
        &cxmap_logfile::ReadOptions::default(),
        None,
    )
    .unwrap();
    assert_eq!(receipt["events"], log.event_count() as u64);
    let base = format!("/api/v1/journeys/{}/analytics", journey.id);
    let spec = cxmap_analytics::FunnelSpec {
        steps: vec!["광고 클릭".into(), "상품 조회".into(), "결제 완료".into()],
        window_ms: 86_400_000,
    };
    for (path, expected) in [
        (
            format!("{base}/dfg?raw=true"),
            serde_json::to_value(cxmap_analytics::dfg(&log)).unwrap(),
        ),
        (
            format!("{base}/variants?raw=true&top=7"),
            serde_json::to_value(cxmap_analytics::variants(&log, Some(7))).unwrap(),
        ),
        (
            format!("{base}/funnel?raw=true&steps=광고 클릭,상품 조회,결제 완료&window=1d"),
            serde_json::to_value(cxmap_analytics::funnel(&log, &spec)).unwrap(),
        ),
        (
            format!("{base}/bottlenecks?raw=true&top=5&min_count=2"),
            serde_json::to_value(cxmap_analytics::bottlenecks(&log, 5, 2)).unwrap(),
        ),
    ] {
        assert_eq!(app.get_json(&path).await, expected, "{path}");
    }
}

#[tokio::test]
async fn a_cp949_csv_imports_with_its_encoding_and_bad_files_leave_nothing() {
    let app = spawn_app().await;
    let journey = app.journey().await;
    let text =
        "고객,행동,시각\n김,광고 클릭,2024-05-01 09:00:00\n김,결제 완료,2024-05-01 09:10:00\n";
    let (bytes, _, lossy) = encoding_rs::EUC_KR.encode(text);
    assert!(!lossy);
    let r = app
        .post("/api/v1/events/import?format=csv&encoding=cp949&case=고객&activity=행동&timestamp=시각")
        .body(bytes.into_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let dfg = app
        .get_json(&format!(
            "/api/v1/journeys/{}/analytics/dfg?raw=true",
            journey.id
        ))
        .await;
    assert_eq!(dfg["activities"], json!({"광고 클릭": 1, "결제 완료": 1}));

    let bad = "case_id,activity,timestamp\nx,검색,2024-05-01T00:00:00Z\ny,검색,not a time\n";
    let (status, error) = error_of(
        app.post("/api/v1/events/import?format=csv")
            .body(bad)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["code"], "invalid_log_file");
    assert!(
        error["message"].as_str().unwrap().contains("line 3"),
        "{error}"
    );
    assert_eq!(app.raw_events(&journey).await, 2);

    let (status, error) = error_of(
        app.post("/api/v1/events/import?format=parquet")
            .body("x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "format");
}

#[tokio::test]
async fn a_funnel_splits_by_an_event_attribute() {
    let app = spawn_app().await;
    let journey = app.journey().await;
    let with = |case: &str, name: &str, ts: &str, channel: Value| json!({"case_id": case, "event": name, "timestamp": ts, "attributes": {"채널": channel}});
    let r = app
        .ingest(
            &json!([
                // a: 앱 (its earliest event with the attribute), converts fully.
                event("a", "광고 클릭", "2024-05-01T00:00:00Z"),
                with("a", "상품 조회", "2024-05-01T00:05:00Z", json!("앱")),
                with("a", "결제 완료", "2024-05-01T00:09:00Z", json!("웹")),
                // b: 웹, stops after the first step.
                with("b", "광고 클릭", "2024-05-01T00:00:00Z", json!("웹")),
                // c: 웹, converts fully.
                with("c", "광고 클릭", "2024-05-02T00:00:00Z", json!("웹")),
                event("c", "상품 조회", "2024-05-02T00:01:00Z"),
                event("c", "결제 완료", "2024-05-02T00:02:00Z"),
                // d: no attribute, reaches step two.
                event("d", "광고 클릭", "2024-05-03T00:00:00Z"),
                event("d", "상품 조회", "2024-05-03T00:01:00Z"),
            ]),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let path = format!(
        "/api/v1/journeys/{}/analytics/funnel?raw=true&steps=광고 클릭,상품 조회,결제 완료&window=1d",
        journey.id
    );
    let whole = app.get_json(&path).await;
    assert!(whole.get("segments").is_none(), "{whole}");
    let split = app.get_json(&format!("{path}&segment=채널")).await;
    // The overall funnel is unchanged by the split.
    let mut overall = split.clone();
    overall.as_object_mut().unwrap().remove("segments");
    assert_eq!(overall, whole);
    let reached = |s: &Value| -> (Value, Vec<u64>) {
        let steps = s["steps"].as_array().unwrap();
        (
            s["segment"].clone(),
            steps.iter().map(|x| x["cases"].as_u64().unwrap()).collect(),
        )
    };
    let segments: Vec<_> = split["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(reached)
        .collect();
    assert_eq!(
        segments,
        [
            (json!("웹"), vec![2, 1, 1]),
            (json!("앱"), vec![1, 1, 1]),
            (Value::Null, vec![1, 1, 0]),
        ]
    );
    assert_eq!(split["segments"][0]["cases"], 2);

    let (status, error) = error_of(
        app.http
            .get(format!("{}{path}&segment=%20", app.base))
            .bearer_auth(&app.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "segment");

    // The keys a picker offers: 채널 is on four events.
    let keys = app
        .get_json(&format!(
            "/api/v1/journeys/{}/analytics/attributes",
            journey.id
        ))
        .await;
    assert_eq!(keys, json!({"attributes": [{"key": "채널", "events": 4}]}));
}
