//! The journey API end to end: real server, real SQLite file, real HTTP.
#![allow(clippy::unwrap_used)]

mod common;

use common::{spawn_app, spawn_app_with};
use cxmap_domain::Role;
use cxmap_server::ServerConfig;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn json_of(resp: reqwest::Response) -> Value {
    resp.json().await.unwrap()
}

async fn error_code(resp: reqwest::Response) -> (StatusCode, String, Value) {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error body: {body}"))
        .to_owned();
    assert!(body["error"]["message"].is_string(), "{body}");
    (status, code, body)
}

async fn create_retail(app: &common::TestApp) -> Value {
    let resp = app
        .req(
            Method::POST,
            &format!("/api/v1/projects/{}/journeys", app.project),
        )
        .json(&json!({"template": "retail_online_shopping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    json_of(resp).await
}

#[tokio::test]
async fn create_read_and_list_journeys() {
    let app = spawn_app().await;
    let journey = create_retail(&app).await;
    let id = journey["id"].as_str().unwrap();
    assert_eq!(journey["title"], "온라인 쇼핑 고객 여정");
    assert_eq!(journey["stages"].as_array().unwrap().len(), 7);

    let resp = app
        .req(Method::GET, &format!("/api/v1/journeys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["etag"], "\"0\"");
    assert_eq!(json_of(resp).await, journey);

    let blank = app
        .req(
            Method::POST,
            &format!("/api/v1/projects/{}/journeys", app.project),
        )
        .json(&json!({"title": "Onboarding", "lang": "en", "kind": "b2b"}))
        .send()
        .await
        .unwrap();
    let blank = json_of(blank).await;
    assert_eq!(blank["stages"][0]["name"], "Awareness");
    assert_eq!(blank["kind"], "b2b");
    let list = json_of(
        app.req(
            Method::GET,
            &format!("/api/v1/projects/{}/journeys", app.project),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn every_element_can_be_added_changed_moved_and_removed() {
    let app = spawn_app().await;
    let journey = create_retail(&app).await;
    let id = journey["id"].as_str().unwrap();
    let base = format!("/api/v1/journeys/{id}");

    let stage = json_of(
        app.req(Method::POST, &format!("{base}/stages"))
            .json(&json!({"name": "재구매", "index": 0}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let stage_id = stage["id"].as_str().unwrap();
    let renamed = json_of(
        app.req(Method::PATCH, &format!("{base}/stages/{stage_id}"))
            .json(&json!({"name": "재구매 유도"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(renamed["name"], "재구매 유도");

    let resp = app
        .req(Method::POST, &format!("{base}/stages/{stage_id}/touchpoints"))
        .json(&json!({"name": "쿠폰 알림톡", "channel": "알림톡", "category": "digital", "emotion": 2, "moment_of_truth": true, "pain_points": ["너무 자주 온다"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let tp = json_of(resp).await;
    let tp_id = tp["id"].as_str().unwrap();
    assert_eq!(tp["emotion"], 2);
    let changed = json_of(
        app.req(Method::PATCH, &format!("{base}/touchpoints/{tp_id}"))
            .json(&json!({"emotion": -1, "owner": "CRM팀"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (
            changed["emotion"].as_i64(),
            changed["owner"].as_str(),
            changed["channel"].as_str()
        ),
        (Some(-1), Some("CRM팀"), Some("알림톡"))
    );

    let last_stage = journey["stages"][6]["id"].as_str().unwrap();
    let moved = json_of(
        app.req(Method::POST, &format!("{base}/touchpoints/{tp_id}/move"))
            .json(&json!({"stage_id": last_stage, "index": 0}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(moved["stages"][7]["touchpoints"][0]["id"], tp_id);
    let moved = json_of(
        app.req(Method::POST, &format!("{base}/stages/{stage_id}/move"))
            .json(&json!({"index": 99}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(moved["stages"][7]["id"], stage_id);

    let persona = json_of(
        app.req(Method::POST, &format!("{base}/personas"))
            .json(&json!({"name": "이서준", "role": "buyer", "goals": ["빠른 배송"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let persona_id = persona["id"].as_str().unwrap();
    let opp = json_of(app.req(Method::POST, &format!("{base}/opportunities")).json(&json!({"title": "알림 빈도 제한", "touchpoint_id": tp_id, "impact": 4, "effort": 2})).send().await.unwrap()).await;
    let opp_id = opp["id"].as_str().unwrap();
    assert_eq!(opp["touchpoint_id"], tp_id);

    for path in [
        format!("{base}/personas/{persona_id}"),
        format!("{base}/opportunities/{opp_id}"),
        format!("{base}/touchpoints/{tp_id}"),
        format!("{base}/stages/{stage_id}"),
    ] {
        let resp = app.req(Method::DELETE, &path).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NO_CONTENT, "{path}");
    }
    let after = json_of(app.req(Method::GET, &base).send().await.unwrap()).await;
    assert_eq!(after["stages"].as_array().unwrap().len(), 7);
    assert_eq!(after["personas"].as_array().unwrap().len(), 2);
    assert_eq!(after["version"], 12, "one version per accepted change");
}

#[tokio::test]
async fn bad_input_gets_json_errors_with_stable_codes() {
    let app = spawn_app_with(ServerConfig {
        body_limit: 64 * 1024,
        ..ServerConfig::default()
    })
    .await;
    let journey = create_retail(&app).await;
    let id = journey["id"].as_str().unwrap();
    let stage = journey["stages"][0]["id"].as_str().unwrap();
    let tp = journey["stages"][0]["touchpoints"][0]["id"]
        .as_str()
        .unwrap();

    let (status, code, body) = error_code(
        app.req(
            Method::PATCH,
            &format!("/api/v1/journeys/{id}/touchpoints/{tp}"),
        )
        .json(&json!({"emotion": 5}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, code.as_str(), body["error"]["field"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("emotion")
        )
    );
    let (status, _, body) = error_code(
        app.req(
            Method::POST,
            &format!("/api/v1/journeys/{id}/stages/{stage}/touchpoints"),
        )
        .json(&json!({"channel": "x"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("name"))
    );
    let (status, _, body) = error_code(
        app.req(Method::PATCH, &format!("/api/v1/journeys/{id}"))
            .json(&json!({"title": "   "}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("title"))
    );
    let (status, _, body) = error_code(
        app.req(Method::PATCH, &format!("/api/v1/journeys/{id}"))
            .json(&json!({"colour": "red"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, code, _) = error_code(
        app.req(Method::PATCH, &format!("/api/v1/journeys/{id}"))
            .header("content-type", "application/json")
            .body("{\"title\":")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let (status, code, _) = error_code(
        app.req(Method::PATCH, &format!("/api/v1/journeys/{id}"))
            .body("title=x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    let huge = json!({"description": "가".repeat(40_000)});
    let (status, code, _) = error_code(
        app.req(
            Method::PATCH,
            &format!("/api/v1/journeys/{id}/stages/{stage}"),
        )
        .json(&huge)
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );

    for path in [
        format!("/api/v1/journeys/{}", uuid_like()),
        "/api/v1/journeys/not-a-uuid".to_owned(),
        "/api/v1/nothing".to_owned(),
        format!("/api/v1/journeys/{id}/touchpoints/{}", uuid_like()),
    ] {
        let method = if path.contains("touchpoints") {
            Method::DELETE
        } else {
            Method::GET
        };
        let (status, code, _) = error_code(app.req(method, &path).send().await.unwrap()).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{path}"
        );
    }
    // Both route groups (redirects apart from the layered rest) answer a wrong method in JSON.
    for path in ["/healthz", "/l/some-link"] {
        let (status, code, _) = error_code(app.req(Method::PUT, path).send().await.unwrap()).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            "{path}"
        );
    }

    let unchanged = json_of(
        app.req(Method::GET, &format!("/api/v1/journeys/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(unchanged, journey, "failed requests changed nothing");
}

fn uuid_like() -> String {
    "01900000-0000-7000-8000-000000000000".to_owned()
}

#[tokio::test]
async fn a_stale_if_match_is_a_version_conflict() {
    let app = spawn_app().await;
    let journey = create_retail(&app).await;
    let id = journey["id"].as_str().unwrap();
    let ok = app
        .req(Method::PATCH, &format!("/api/v1/journeys/{id}"))
        .header("if-match", "\"0\"")
        .json(&json!({"goal": "A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.headers()["etag"], "\"1\"");
    let (status, code, _) = error_code(
        app.req(Method::PATCH, &format!("/api/v1/journeys/{id}"))
            .header("if-match", "\"0\"")
            .json(&json!({"goal": "B"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "version_conflict")
    );
    let (status, code, _) = error_code(
        app.req(Method::POST, &format!("/api/v1/journeys/{id}/ops")).json(&json!({"base_version": 0, "ops": [{"op": "update_journey", "patch": {"goal": "C"}}]})).send().await.unwrap(),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "version_conflict")
    );
    let now = json_of(
        app.req(Method::GET, &format!("/api/v1/journeys/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(now["goal"], "A");
}

#[tokio::test]
async fn roles_are_checked_on_every_route() {
    let app = spawn_app().await;
    let journey = create_retail(&app).await;
    let id = journey["id"].as_str().unwrap();
    let (_, viewer) = app.member("viewer@example.com", Role::Viewer).await;
    let (_, commenter) = app.member("commenter@example.com", Role::Commenter).await;

    let resp = app
        .req_as(&viewer, Method::GET, &format!("/api/v1/journeys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (status, code, _) = error_code(
        app.req_as(&viewer, Method::PATCH, &format!("/api/v1/journeys/{id}"))
            .json(&json!({"goal": "x"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let (status, _, _) = error_code(
        app.req_as(
            &viewer,
            Method::POST,
            &format!("/api/v1/journeys/{id}/comments"),
        )
        .json(&json!({"target": {"kind": "journey"}, "body": "hi"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let tp = journey["stages"][3]["touchpoints"][0]["id"]
        .as_str()
        .unwrap();
    let comment = app
        .req_as(&commenter, Method::POST, &format!("/api/v1/journeys/{id}/comments"))
        .json(&json!({"target": {"kind": "touchpoint", "id": tp}, "body": "재로그인 원인 확인 부탁 @owner"}))
        .send()
        .await
        .unwrap();
    assert_eq!(comment.status(), StatusCode::CREATED);
    let comment = json_of(comment).await;
    let (status, _, _) = error_code(
        app.req_as(
            &commenter,
            Method::DELETE,
            &format!("/api/v1/journeys/{id}"),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let resolved = app
        .req(
            Method::PATCH,
            &format!(
                "/api/v1/journeys/{id}/comments/{}",
                comment["id"].as_str().unwrap()
            ),
        )
        .json(&json!({"resolved": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(resolved).await["resolved"], true);

    let (status, code, _) = error_code(
        app.http
            .get(format!("{}/api/v1/journeys/{id}", app.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    let (status, _, _) = error_code(
        app.req_as("cxm_forged", Method::GET, &format!("/api/v1/journeys/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A user of another workspace cannot even learn that the journey exists.
    let stranger = cxmap_store::ensure_user(
        &*app.store,
        &cxmap_domain::Email::parse("s@example.org").unwrap(),
        "S",
        None,
        cxmap_domain::now(),
    )
    .await
    .unwrap();
    let token = cxmap_store::NewToken::generate();
    app.store
        .add_token(stranger.user.id, "t", &token.hash)
        .await
        .unwrap();
    let (status, _, _) = error_code(
        app.req_as(
            &token.plaintext,
            Method::GET,
            &format!("/api/v1/journeys/{id}"),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn export_import_round_trips_and_failed_imports_change_nothing() {
    let app = spawn_app().await;
    let journey = create_retail(&app).await;
    let id = journey["id"].as_str().unwrap();
    let exported = app
        .req(Method::GET, &format!("/api/v1/journeys/{id}/export"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(exported.contains("\"format\": \"cxmap.journey\""));

    let import = |body: String, replace: bool| {
        app.req(
            Method::POST,
            &format!("/api/v1/projects/{}/import?replace={replace}", app.project),
        )
        .header("content-type", "application/json")
        .body(body)
        .send()
    };
    let (status, code, _) = error_code(import(exported.clone(), false).await.unwrap()).await;
    assert_eq!((status, code.as_str()), (StatusCode::CONFLICT, "conflict"));
    let broken = exported.replacen("\"emotion\": 1", "\"emotion\": \"happy\"", 1);
    let (status, _, body) = error_code(import(broken, true).await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["field"]
            .as_str()
            .unwrap()
            .ends_with("emotion"),
        "{body}"
    );

    assert_eq!(
        app.req(Method::DELETE, &format!("/api/v1/journeys/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        import(exported.clone(), false).await.unwrap().status(),
        StatusCode::CREATED
    );
    let again = app
        .req(Method::GET, &format!("/api/v1/journeys/{id}/export"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        again, exported,
        "export → import → export is byte-identical"
    );
}

#[tokio::test]
async fn maps_render_in_every_format_with_korean_text() {
    let app = spawn_app().await;
    let journey = create_retail(&app).await;
    let id = journey["id"].as_str().unwrap();
    let svg = app
        .req(Method::GET, &format!("/api/v1/journeys/{id}/map.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.unwrap().contains("모바일 결제"));
    let png = app
        .req(
            Method::GET,
            &format!("/api/v1/journeys/{id}/map.png?lang=en"),
        )
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let pdf = app
        .req(Method::GET, &format!("/api/v1/journeys/{id}/map.pdf"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let csv = app
        .req(Method::GET, &format!("/api/v1/journeys/{id}/audit.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 1 + 10);
    let (status, _, body) = error_code(
        app.req(
            Method::GET,
            &format!("/api/v1/journeys/{id}/map.svg?lang=fr"),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn openapi_docs_and_health_are_served() {
    let app = spawn_app().await;
    let doc = json_of(
        app.http
            .get(format!("{}/api/openapi.json", app.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    for path in [
        "/api/v1/journeys/{id}",
        "/api/v1/journeys/{id}/ops",
        "/api/v1/journeys/{id}/map.png",
        "/api/v1/projects/{id}/import",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from OpenAPI"
        );
    }
    assert!(doc["components"]["schemas"]["Journey"].is_object());
    let docs = app
        .http
        .get(format!("{}/api/docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    let health = json_of(
        app.http
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(health, json!({"status": "ok", "database": "sqlite"}));
}

#[tokio::test]
async fn error_and_journey_shapes_are_stable() {
    let app = spawn_app().await;
    let created = app
        .req(
            Method::POST,
            &format!("/api/v1/projects/{}/journeys", app.project),
        )
        .json(&json!({"title": "스냅샷", "template": "default_stages", "lang": "ko"}))
        .send()
        .await
        .unwrap();
    let journey = json_of(created).await;
    insta::assert_json_snapshot!("journey_default_stages", journey, {
        ".id" => "[id]", ".project_id" => "[id]", ".stages[].id" => "[id]",
        ".created_at" => "[time]", ".updated_at" => "[time]",
    });
    let err = json_of(
        app.req(
            Method::PATCH,
            &format!("/api/v1/journeys/{}", journey["id"].as_str().unwrap()),
        )
        .json(&json!({"kind": "b2x"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    insta::assert_json_snapshot!("error_invalid_field", err);
}
