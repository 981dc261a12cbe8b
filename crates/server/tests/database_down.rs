//! A database that goes away gives 503 `database_unavailable`; the server keeps running and
//! answers normally again once the database is back. PostgreSQL is reached through a TCP proxy
//! the test can cut, which is what a network partition or a database restart looks like.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use cxmap_server::ServerConfig;
use cxmap_store::Store;
use cxmap_store_postgres::PgStore;
use reqwest::{Method, StatusCode};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (up2, links2) = (up.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links2.lock().await.push(link);
            }
        });
        Self { port, up, links }
    }

    async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().await.drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn admin_url() -> String {
    std::env::var("CXMAP_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_is_503_and_the_server_recovers() {
    let admin = admin_url();
    let db = format!("cxmap_test_down_{}", rand::random::<u32>());
    let admin_pool = sqlx::PgPool::connect(&admin)
        .await
        .expect("PostgreSQL for tests (see scripts/pg-test-env.sh)");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&admin_pool)
        .await
        .unwrap();

    let parsed = url_parts(&admin);
    let proxy = Proxy::start(format!("{}:{}", parsed.0, parsed.1)).await;
    let url = format!("postgres://{}@127.0.0.1:{}/{db}", parsed.2, proxy.port);
    let store = PgStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let app = common::spawn_on(store, ServerConfig::default(), tempfile::tempdir().unwrap()).await;

    let list = format!("/api/v1/projects/{}/journeys", app.project);
    assert_eq!(
        app.req(Method::GET, &list).send().await.unwrap().status(),
        StatusCode::OK
    );

    proxy.cut().await;
    let resp = app.req(Method::GET, &list).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(resp.headers()["retry-after"], "5");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "database_unavailable");
    let health = app
        .http
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);

    proxy.restore();
    let mut recovered = false;
    for _ in 0..20 {
        if app.req(Method::GET, &list).send().await.unwrap().status() == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(
        recovered,
        "the server answers again once the database is back"
    );
    drop(app);
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
    )))
    .execute(&admin_pool)
    .await;
}

/// (host, port, user) of a postgres:// URL.
fn url_parts(url: &str) -> (String, u16, String) {
    let rest = url.split("://").nth(1).unwrap();
    let (userinfo, hostpart) = rest.split_once('@').unwrap_or(("postgres", rest));
    let hostport = hostpart.split('/').next().unwrap();
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
    (host.to_owned(), port.parse().unwrap(), userinfo.to_owned())
}
