//! Accounts, sessions, CSRF, members, share links, mentions and the live co-editing socket,
//! against the real server over HTTP and WebSocket.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{TestApp, spawn_app, spawn_app_with, spawn_on};
use cxmap_domain::{ClientId, Journey, JourneyOp, Role, Version};
use cxmap_server::ServerConfig;
use cxmap_store::Store;
use futures::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A browser's cookie jar, reduced to what these tests need.
#[derive(Default, Clone)]
struct Browser {
    session: String,
    csrf: String,
}

impl Browser {
    fn absorb(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            match name {
                "cxmap_session" => self.session = value.to_owned(),
                "cxmap_csrf" => self.csrf = value.to_owned(),
                _ => {}
            }
        }
    }

    fn cookie(&self) -> String {
        format!("cxmap_session={}; cxmap_csrf={}", self.session, self.csrf)
    }

    fn req(&self, app: &TestApp, method: Method, path: &str) -> reqwest::RequestBuilder {
        let safe = method == Method::GET;
        let builder = app
            .http
            .request(method, format!("{}{path}", app.base))
            .header("cookie", self.cookie());
        if safe {
            builder
        } else {
            builder.header("x-csrf-token", &self.csrf)
        }
    }
}

async fn signup(app: &TestApp, email: &str, name: &str) -> (Browser, Value) {
    let response = app
        .http
        .post(format!("{}/api/v1/auth/signup", app.base))
        .json(&json!({"email": email, "name": name, "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let mut browser = Browser::default();
    browser.absorb(&response);
    (browser, response.json().await.unwrap())
}

async fn error_code(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

async fn new_journey(app: &TestApp) -> Journey {
    let response = app
        .req(
            Method::POST,
            &format!("/api/v1/projects/{}/journeys", app.project),
        )
        .json(&json!({"template": "retail_online_shopping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_sign_in_csrf_and_sign_out() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(format!("{}/api/v1/auth/signup", app.base))
        .json(&json!({"email": "kim@example.com", "name": "김민지", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session_cookie = cookies
        .iter()
        .find(|c| c.starts_with("cxmap_session="))
        .unwrap();
    assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"));
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("cxmap_csrf=") && c.contains("SameSite=Strict"))
    );
    let mut browser = Browser::default();
    browser.absorb(&response);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["name"], "김민지");
    let workspace = me["workspaces"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(me["workspaces"][0]["role"], "owner");

    // The session reads; a change without the CSRF header is refused, with it accepted.
    let me2: Value = browser
        .req(&app, Method::GET, "/api/v1/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me2["email"], "kim@example.com");
    let path = format!("/api/v1/workspaces/{workspace}/projects");
    let forged = app
        .http
        .post(format!("{}{path}", app.base))
        .header("cookie", browser.cookie())
        .json(&json!({"name": "위조"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(forged).await,
        (StatusCode::FORBIDDEN, "csrf_failed".into())
    );
    let wrong = app
        .http
        .post(format!("{}{path}", app.base))
        .header("cookie", browser.cookie())
        .header("x-csrf-token", "not-the-token")
        .json(&json!({"name": "위조"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let ok = browser
        .req(&app, Method::POST, &path)
        .json(&json!({"name": "진짜"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::CREATED);

    // Taken address, wrong password, unknown account.
    let again = app
        .http
        .post(format!("{}/api/v1/auth/signup", app.base))
        .json(&json!({"email": "kim@example.com", "name": "x", "password": "another password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(again).await,
        (StatusCode::CONFLICT, "email_taken".into())
    );
    for (email, password) in [
        ("kim@example.com", "wrong password"),
        ("nobody@example.com", "whatever1"),
    ] {
        let bad = app
            .http
            .post(format!("{}/api/v1/auth/login", app.base))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_code(bad).await,
            (StatusCode::UNAUTHORIZED, "invalid_credentials".into())
        );
    }
    let short = app
        .http
        .post(format!("{}/api/v1/auth/signup", app.base))
        .json(&json!({"email": "lee@example.com", "name": "Lee", "password": "short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(short).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field".into())
    );

    // Sign in again, sign out: the old session stops working.
    let login = app
        .http
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"email": "kim@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let mut second = Browser::default();
    second.absorb(&login);
    let out = second
        .req(&app, Method::POST, "/api/v1/auth/logout")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let gone = second
        .req(&app, Method::GET, "/api/v1/me")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::UNAUTHORIZED);
    // The first browser's session is separate and still works.
    let still = browser
        .req(&app, Method::GET, "/api/v1/me")
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), StatusCode::OK);
    // Demo sign-in exists only under `cxmap demo`.
    let demo = app
        .http
        .post(format!("{}/api/v1/auth/demo", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(demo.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_attempts_are_rate_limited() {
    let app = spawn_app_with(ServerConfig {
        auth_per_minute: 3,
        ..ServerConfig::default()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = app
            .http
            .post(format!("{}/api/v1/auth/login", app.base))
            .json(&json!({"email": "owner@example.com", "password": "guessing123"}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_manage_members_and_keep_one_owner() {
    let app = spawn_app().await;
    let members = format!("/api/v1/workspaces/{}/members", app.workspace);
    let invited: Value = app
        .req(Method::POST, &members)
        .json(&json!({"email": "park@example.com", "role": "editor", "name": "박"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(invited["role"], "editor");
    let park = invited["user"]["id"].as_str().unwrap().to_owned();
    let list: Value = app
        .req(Method::GET, &members)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);

    // The invited address claims its account by signing up, and lands in the workspace.
    let (park_browser, me) = signup(&app, "park@example.com", "박서준").await;
    assert!(
        me["workspaces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["role"] == "editor")
    );
    // An editor cannot manage members.
    let refused = park_browser
        .req(&app, Method::PATCH, &format!("{members}/{park}"))
        .json(&json!({"role": "owner"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let owner_id = app
        .store
        .user_by_email(&cxmap_domain::Email::parse("owner@example.com").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let demote = app
        .req(Method::PATCH, &format!("{members}/{owner_id}"))
        .json(&json!({"role": "editor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(demote).await,
        (StatusCode::CONFLICT, "last_owner".into())
    );
    let leave = app
        .req(Method::DELETE, &format!("{members}/{owner_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(leave).await,
        (StatusCode::CONFLICT, "last_owner".into())
    );
    let promote = app
        .req(Method::PATCH, &format!("{members}/{park}"))
        .json(&json!({"role": "commenter"}))
        .send()
        .await
        .unwrap();
    assert_eq!(promote.status(), StatusCode::OK);
    let removed = app
        .req(Method::DELETE, &format!("{members}/{park}"))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let after = park_browser
        .req(&app, Method::GET, &members)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_links_grant_one_journey_until_revoked() {
    let app = spawn_app().await;
    let journey = new_journey(&app).await;
    let other = new_journey(&app).await;
    let shares = format!("/api/v1/journeys/{}/shares", journey.id);
    let created: Value = app
        .req(Method::POST, &shares)
        .json(&json!({"role": "viewer"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(
        created["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/app/share/{token}"))
    );
    let owner_role = app
        .req(Method::POST, &shares)
        .json(&json!({"role": "owner"}))
        .send()
        .await
        .unwrap();
    assert_eq!(owner_role.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // An anonymous visitor opens it and becomes a signed-in guest viewer of that journey only.
    let opened = app
        .http
        .post(format!("{}/api/v1/shares/{token}/accept", app.base))
        .json(&json!({"name": "손님"}))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), StatusCode::OK);
    let mut guest = Browser::default();
    guest.absorb(&opened);
    let accepted: Value = opened.json().await.unwrap();
    assert_eq!(accepted["role"], "viewer");
    assert_eq!(accepted["journey_id"], journey.id.to_string());
    let path = format!("/api/v1/journeys/{}", journey.id);
    assert_eq!(
        guest
            .req(&app, Method::GET, &path)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let edit = guest
        .req(&app, Method::PATCH, &path)
        .json(&json!({"title": "바꿈"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), StatusCode::FORBIDDEN);
    let elsewhere = guest
        .req(&app, Method::GET, &format!("/api/v1/journeys/{}", other.id))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);
    let projects = guest
        .req(
            &app,
            Method::GET,
            &format!("/api/v1/workspaces/{}/projects", app.workspace),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(projects.status(), StatusCode::NOT_FOUND);
    // A viewer cannot list or make share links.
    assert_eq!(
        guest
            .req(&app, Method::GET, &shares)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );

    // Revoking ends the guest's access at once; the link no longer opens.
    let listed: Value = app
        .req(Method::GET, &shares)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        listed[0].get("token").is_none(),
        "secrets are shown only once"
    );
    let id = listed[0]["id"].as_str().unwrap();
    let revoked = app
        .req(Method::DELETE, &format!("{shares}/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        guest
            .req(&app, Method::GET, &path)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let reopen = app
        .http
        .post(format!("{}/api/v1/shares/{token}/accept", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(reopen.status(), StatusCode::NOT_FOUND);
    let past = app
        .req(Method::POST, &shares)
        .json(&json!({"role": "viewer", "expires_at": "2020-01-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_mention_members() {
    let app = spawn_app().await;
    let journey = new_journey(&app).await;
    let (_, token) = app.member("choi@example.com", Role::Commenter).await;
    let comment: Value = app
        .req(
            Method::POST,
            &format!("/api/v1/journeys/{}/comments", journey.id),
        )
        .json(&json!({"target": {"kind": "journey"}, "body": "@choi 결제 단계 확인 부탁해요"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(comment["author_name"], "Owner");
    assert_eq!(comment["mentions"].as_array().unwrap().len(), 1);
    let mentions: Value = app
        .req_as(&token, Method::GET, "/api/v1/me/mentions")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mentions[0]["id"], comment["id"]);
    let none: Value = app
        .req(Method::GET, "/api/v1/me/mentions")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none, json!([]));
}

// ---- the live socket -------------------------------------------------------------------------

async fn connect(app: &TestApp, token: &str, journey: &Journey) -> (Socket, Value) {
    let url = format!(
        "{}/api/v1/journeys/{}/live",
        app.base.replace("http://", "ws://"),
        journey.id
    );
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let hello = next_of(&mut socket, "hello").await;
    (socket, hello)
}

async fn next_message(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame within 10 s")
            .expect("the socket stays open")
            .unwrap();
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// The next message of `kind`, skipping presence updates.
async fn next_of(socket: &mut Socket, kind: &str) -> Value {
    loop {
        let message = next_message(socket).await;
        if message["type"] == kind {
            return message;
        }
        assert_eq!(
            message["type"], "presence",
            "expected {kind}, got {message}"
        );
    }
}

async fn send_ops(socket: &mut Socket, client: ClientId, seq: i64, ops: &[JourneyOp]) {
    let frame = json!({"type": "ops", "client_id": client, "client_seq": seq, "ops": ops});
    socket
        .send(Message::Text(frame.to_string().into()))
        .await
        .unwrap();
}

fn rename_stage(journey: &Journey, index: usize, name: &str) -> JourneyOp {
    serde_json::from_value(json!({
        "op": "update_stage", "id": journey.stages[index].id, "patch": {"name": name}
    }))
    .unwrap()
}

fn touchpoint_emotion(journey: &Journey, emotion: i8) -> JourneyOp {
    serde_json::from_value(json!({
        "op": "update_touchpoint", "id": journey.stages[0].touchpoints[0].id,
        "patch": {"emotion": emotion}
    }))
    .unwrap()
}

/// A client's view: the hello snapshot plus every batch in version order.
struct Replica {
    journey: Journey,
    mine: std::collections::HashMap<i64, Vec<JourneyOp>>,
}

impl Replica {
    fn absorb(&mut self, message: &Value) {
        let version = Version(message["version"].as_i64().unwrap());
        assert_eq!(
            version.0,
            self.journey.version.0 + 1,
            "versions arrive one by one: {message}"
        );
        let ops: Vec<JourneyOp> = match message["type"].as_str() {
            Some("ops") => serde_json::from_value(message["ops"].clone()).unwrap(),
            Some("applied") => self
                .mine
                .remove(&message["client_seq"].as_i64().unwrap())
                .unwrap(),
            other => panic!("unexpected {other:?}"),
        };
        self.journey.apply(&ops, self.journey.updated_at).unwrap();
        assert_eq!(self.journey.version, version);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_editors_converge_on_the_stored_map() {
    let app = spawn_app().await;
    let journey = new_journey(&app).await;
    let (_, other_token) = app.member("editor@example.com", Role::Editor).await;
    let (mut a, hello_a) = connect(&app, &app.token, &journey).await;
    let (mut b, hello_b) = connect(&app, &other_token, &journey).await;
    assert_eq!(hello_a["role"], "owner");
    assert_eq!(hello_b["role"], "editor");
    assert_eq!(hello_b["version"], journey.version.0);

    // Both rename the same stage and change the same touchpoint, many times, at once.
    const ROUNDS: i64 = 40;
    let (client_a, client_b) = (ClientId::new(), ClientId::new());
    let mut replica_a = Replica {
        journey: journey.clone(),
        mine: Default::default(),
    };
    let mut replica_b = Replica {
        journey: journey.clone(),
        mine: Default::default(),
    };
    for seq in 1..=ROUNDS {
        let ops_a = vec![
            rename_stage(&journey, 0, &format!("A{seq}")),
            touchpoint_emotion(&journey, (seq % 5 - 2) as i8),
        ];
        let ops_b = vec![
            rename_stage(&journey, 0, &format!("B{seq}")),
            touchpoint_emotion(&journey, (2 - seq % 5) as i8),
        ];
        replica_a.mine.insert(seq, ops_a.clone());
        replica_b.mine.insert(seq, ops_b.clone());
        send_ops(&mut a, client_a, seq, &ops_a).await;
        send_ops(&mut b, client_b, seq, &ops_b).await;
    }
    let total = journey.version.0 + 2 * ROUNDS;
    for (socket, replica) in [(&mut a, &mut replica_a), (&mut b, &mut replica_b)] {
        while replica.journey.version.0 < total {
            let message = next_message(socket).await;
            if message["type"] == "presence" {
                continue;
            }
            replica.absorb(&message);
        }
        assert!(replica.mine.is_empty(), "every own batch was acknowledged");
    }
    let stored = app.store.journey(journey.id).await.unwrap();
    assert_eq!(stored.version.0, total);
    // Timestamps differ per replica (they apply at their own clock); compare the content.
    let content = |j: &Journey| {
        let mut v = serde_json::to_value(j).unwrap();
        v.as_object_mut().unwrap().remove("updated_at");
        v
    };
    assert_eq!(content(&replica_a.journey), content(&stored));
    assert_eq!(content(&replica_b.journey), content(&stored));
    assert_eq!(
        app.store
            .ops_since(journey.id, journey.version, 1000)
            .await
            .unwrap()
            .len() as i64,
        2 * ROUNDS
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_and_bad_batches_are_rejected_and_resynced() {
    let app = spawn_app().await;
    let journey = new_journey(&app).await;
    let (_, viewer) = app.member("viewer@example.com", Role::Viewer).await;
    let (mut socket, hello) = connect(&app, &viewer, &journey).await;
    assert_eq!(hello["role"], "viewer");
    send_ops(
        &mut socket,
        ClientId::new(),
        1,
        &[rename_stage(&journey, 0, "viewer edit")],
    )
    .await;
    let rejected = next_of(&mut socket, "rejected").await;
    assert_eq!(rejected["code"], "forbidden");
    assert_eq!(rejected["client_seq"], 1);
    let snapshot = next_of(&mut socket, "snapshot").await;
    assert_eq!(snapshot["version"], journey.version.0);
    assert_eq!(app.store.journey(journey.id).await.unwrap(), journey);

    let (mut editor, _) = connect(&app, &app.token, &journey).await;
    // An op on an element that is not there.
    let missing: JourneyOp = serde_json::from_value(json!({
        "op": "update_touchpoint", "id": ClientId::new().to_string(), "patch": {"emotion": 1}
    }))
    .unwrap();
    send_ops(&mut editor, ClientId::new(), 1, &[missing]).await;
    let rejected = next_of(&mut editor, "rejected").await;
    assert_eq!(rejected["code"], "not_found");
    next_of(&mut editor, "snapshot").await;
    // A malformed op is named.
    editor
        .send(Message::Text(json!({"type": "ops", "client_id": ClientId::new(), "client_seq": 2, "ops": [{"op": "explode"}]}).to_string().into()))
        .await
        .unwrap();
    let rejected = next_of(&mut editor, "rejected").await;
    assert_eq!(rejected["code"], "invalid_op");
    next_of(&mut editor, "snapshot").await;
    // Not JSON at all: an error, and the connection stays usable.
    editor.send(Message::Text("{nope".into())).await.unwrap();
    assert_eq!(next_of(&mut editor, "error").await["code"], "bad_request");
    editor
        .send(Message::Text(json!({"type": "ping"}).to_string().into()))
        .await
        .unwrap();
    next_of(&mut editor, "pong").await;
    assert_eq!(
        app.store.journey(journey.id).await.unwrap().version,
        journey.version
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_batches_apply_once_and_reconnects_catch_up() {
    let app = spawn_app().await;
    let journey = new_journey(&app).await;
    let client = ClientId::new();
    let (mut socket, _) = connect(&app, &app.token, &journey).await;
    send_ops(
        &mut socket,
        client,
        1,
        &[rename_stage(&journey, 1, "한 번만")],
    )
    .await;
    let applied = next_of(&mut socket, "applied").await;
    let version = applied["version"].as_i64().unwrap();
    // The acknowledged edit is already in the store.
    assert_eq!(
        app.store.journey(journey.id).await.unwrap().version.0,
        version
    );
    drop(socket);

    // Someone else edits while we are away; we come back, replay our batch, then sync.
    let rest = app
        .req(
            Method::POST,
            &format!("/api/v1/journeys/{}/ops", journey.id),
        )
        .json(&json!({"ops": [rename_stage(&journey, 2, "REST")]}))
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), StatusCode::OK);
    let (mut socket, hello) = connect(&app, &app.token, &journey).await;
    assert_eq!(hello["version"], version + 1);
    assert_eq!(hello["journey"]["stages"][2]["name"], "REST");
    send_ops(
        &mut socket,
        client,
        1,
        &[rename_stage(&journey, 1, "한 번만")],
    )
    .await;
    let replay = next_of(&mut socket, "applied").await;
    assert_eq!(
        replay["version"], version,
        "a replay answers the original version"
    );
    assert_eq!(
        app.store.journey(journey.id).await.unwrap().version.0,
        version + 1
    );

    socket
        .send(Message::Text(
            json!({"type": "sync", "since": journey.version})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let first = next_of(&mut socket, "ops").await;
    assert_eq!(first["version"], version);
    let second = next_of(&mut socket, "ops").await;
    assert_eq!(second["version"], version + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_edits_and_presence_reach_live_sockets() {
    let app = spawn_app().await;
    let journey = new_journey(&app).await;
    let (_, other) = app.member("b@example.com", Role::Editor).await;
    let (mut a, _) = connect(&app, &app.token, &journey).await;
    let (mut b, hello_b) = connect(&app, &other, &journey).await;
    let b_session = hello_b["session"].as_str().unwrap().to_owned();
    b.send(Message::Text(
        json!({"type": "presence", "selection": "stage-1"})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    loop {
        let message = next_message(&mut a).await;
        if message["type"] == "presence"
            && message["peers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["session"] == b_session.as_str() && p["selection"] == "stage-1")
        {
            break;
        }
    }
    let patch = app
        .req(Method::PATCH, &format!("/api/v1/journeys/{}", journey.id))
        .json(&json!({"title": "REST에서 바꿈"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), StatusCode::OK);
    let ops = next_of(&mut a, "ops").await;
    assert_eq!(ops["ops"][0]["op"], "update_journey");
    drop(b);
    loop {
        let message = next_message(&mut a).await;
        if message["type"] == "presence" && message["peers"].as_array().unwrap().len() == 1 {
            break;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_sockets_only_from_our_own_origin() {
    let app = spawn_app().await;
    let journey = new_journey(&app).await;
    let members = format!("/api/v1/workspaces/{}/members", app.workspace);
    app.req(Method::POST, &members)
        .json(&json!({"email": "web@example.com", "role": "editor"}))
        .send()
        .await
        .unwrap();
    let (browser, _) = signup(&app, "web@example.com", "Web").await;
    let url = format!(
        "{}/api/v1/journeys/{}/live",
        app.base.replace("http://", "ws://"),
        journey.id
    );
    let attempt = |origin: String| {
        let mut request = url.clone().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("cookie", browser.cookie().parse().unwrap());
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
        tokio_tungstenite::connect_async(request)
    };
    match attempt("https://evil.example".into()).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("a foreign origin must be refused, got {other:?}"),
    }
    let (mut socket, _) = attempt(app.base.clone()).await.unwrap();
    assert_eq!(next_of(&mut socket, "hello").await["role"], "editor");
}

/// Two server processes on one PostgreSQL: an edit on one reaches a socket on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_cross_server_processes_on_postgres() {
    let admin = std::env::var("CXMAP_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("cxmap_test_collab_{}", rand::random::<u32>());
    let admin_pool = sqlx::PgPool::connect(&admin)
        .await
        .expect("PostgreSQL for tests");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin_pool)
        .await
        .unwrap();
    let (base, query) = admin
        .split_once('?')
        .map_or((admin.as_str(), ""), |(b, q)| (b, q));
    let url = format!(
        "{}/{name}{}{query}",
        &base[..base.rfind('/').unwrap()],
        if query.is_empty() { "" } else { "?" }
    );
    let open = || async {
        let store = cxmap_store_postgres::PgStore::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        Arc::new(store) as Arc<dyn Store>
    };
    let one = spawn_on(
        open().await,
        ServerConfig::default(),
        tempfile::tempdir().unwrap(),
    )
    .await;
    let two = spawn_on(
        open().await,
        ServerConfig::default(),
        tempfile::tempdir().unwrap(),
    )
    .await;
    let journey = new_journey(&one).await;
    let (mut on_two, _) = connect(&two, &two.token, &journey).await;
    let (mut on_one, _) = connect(&one, &one.token, &journey).await;
    // Let the second process's listener settle before the edit.
    tokio::time::sleep(Duration::from_millis(200)).await;
    send_ops(
        &mut on_one,
        ClientId::new(),
        1,
        &[rename_stage(&journey, 0, "다른 프로세스")],
    )
    .await;
    let applied = next_of(&mut on_one, "applied").await;
    let ops = next_of(&mut on_two, "ops").await;
    assert_eq!(ops["version"], applied["version"]);
    assert_eq!(ops["ops"][0]["patch"]["name"], "다른 프로세스");
    // And back the other way, through the other process's writer (its cached copy is stale).
    send_ops(
        &mut on_two,
        ClientId::new(),
        1,
        &[rename_stage(&journey, 1, "되돌아옴")],
    )
    .await;
    let back = next_of(&mut on_two, "applied").await;
    assert_eq!(back["version"], applied["version"].as_i64().unwrap() + 1);
    let seen = next_of(&mut on_one, "ops").await;
    assert_eq!(seen["version"], back["version"]);
    drop((one, two));
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&admin_pool)
    .await;
}
