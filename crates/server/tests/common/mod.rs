//! `spawn_app()`: the real server on 127.0.0.1:0 over a fresh temporary SQLite store, with an
//! owner token. Shared by the server's integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use cxmap_domain::{Email, Project, ProjectId, Role, Text, Title, UserId, WorkspaceId};
use cxmap_server::{AppState, ServerConfig};
use cxmap_store::{NewToken, Store, ensure_user};
use cxmap_store_sqlite::SqliteStore;

/// A running test server.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The store behind it.
    pub store: Arc<dyn Store>,
    /// The owner's token.
    pub token: String,
    /// The owner's workspace.
    pub workspace: WorkspaceId,
    /// A project in that workspace.
    pub project: ProjectId,
    /// An HTTP client.
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(ServerConfig::default()).await
}

pub async fn spawn_app_with(config: ServerConfig) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let sqlite = SqliteStore::connect(&url).await.unwrap();
    sqlite.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(sqlite);
    spawn_on(store, config, dir).await
}

pub async fn spawn_on(
    store: Arc<dyn Store>,
    config: ServerConfig,
    dir: tempfile::TempDir,
) -> TestApp {
    let now = cxmap_domain::now();
    let email = Email::parse("owner@example.com").unwrap();
    let ensured = ensure_user(&*store, &email, "Owner", None, now)
        .await
        .unwrap();
    let workspace = match ensured.new_workspace {
        Some(w) => w.id,
        None => store.workspaces_of(ensured.user.id).await.unwrap()[0].0.id,
    };
    let project = store.projects(workspace).await.unwrap()[0].id;
    let token = NewToken::generate();
    store
        .add_token(ensured.user.id, "test", &token.hash)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(
        store.clone(),
        ServerConfig {
            public_url: base.clone(),
            ..config
        },
    )
    .unwrap();
    tokio::spawn(cxmap_server::serve(listener, state, std::future::pending()));
    TestApp {
        base,
        store,
        token: token.plaintext,
        workspace,
        project,
        http: reqwest::Client::new(),
        _dir: dir,
    }
}

impl TestApp {
    /// A request with the owner's token.
    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.req_as(&self.token, method, path)
    }

    /// A request with another token.
    pub fn req_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
    }

    /// Adds a member with `role` to the owner's workspace and returns their token.
    pub async fn member(&self, email: &str, role: Role) -> (UserId, String) {
        let ensured = ensure_user(
            &*self.store,
            &Email::parse(email).unwrap(),
            email,
            None,
            cxmap_domain::now(),
        )
        .await
        .unwrap();
        self.store
            .set_member(self.workspace, ensured.user.id, role)
            .await
            .unwrap();
        let token = NewToken::generate();
        self.store
            .add_token(ensured.user.id, "test", &token.hash)
            .await
            .unwrap();
        (ensured.user.id, token.plaintext)
    }

    /// A second project in the owner's workspace.
    pub async fn another_project(&self) -> ProjectId {
        let project = Project {
            id: ProjectId::new(),
            workspace_id: self.workspace,
            name: Title::parse("Another").unwrap(),
            description: Text::default(),
            created_at: cxmap_domain::now(),
        };
        self.store.create_project(&project).await.unwrap();
        project.id
    }
}
