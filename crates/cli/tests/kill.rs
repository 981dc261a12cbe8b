//! The durability contract of redirects: a click whose 302 reached the client is stored, even
//! when the real `cxmap serve` process is killed with SIGKILL in the middle of a load.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const CXMAP: &str = env!("CARGO_BIN_EXE_cxmap");

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(db: &str, spool: &Path, port: u16) -> Server {
    let child = Command::new(CXMAP)
        .args(["serve", "--db", db, "--addr", &format!("127.0.0.1:{port}")])
        .args(["--redirect-rate", "0", "--click-spool"])
        .arg(spool)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let up = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await;
        if up.is_ok_and(|r| r.status().is_success()) {
            return server;
        }
        assert!(Instant::now() < deadline, "cxmap serve did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_click_is_lost_on_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cx.db").display());
    let spool = dir.path().join("clicks.spool");
    let out = Command::new(CXMAP)
        .args([
            "token",
            "create",
            "--db",
            &db,
            "--email",
            "kill@example.com",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap().trim().to_owned();

    let port = free_port();
    let mut server = start(&db, &spool, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let api = reqwest::Client::new();
    let created = api
        .post(format!("{base}/api/v1/links"))
        .bearer_auth(&token)
        .json(&json!({"target": "https://example.com/landing", "slug": "kill"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), reqwest::StatusCode::CREATED);

    let acknowledged = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..32)
        .map(|_| {
            let (acknowledged, stop, url) =
                (acknowledged.clone(), stop.clone(), format!("{base}/l/kill"));
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap();
                while !stop.load(Ordering::Relaxed) {
                    match client.get(&url).send().await {
                        Ok(r) if r.status() == reqwest::StatusCode::FOUND => {
                            acknowledged.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(_) => {}
                        Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                    }
                }
            })
        })
        .collect();
    // Kill in the middle of the load, not before it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while acknowledged.load(Ordering::SeqCst) < 500 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.0.kill().unwrap(); // SIGKILL on Unix
    server.0.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    let received = acknowledged.load(Ordering::SeqCst);
    assert!(received >= 500, "the load ran: {received} redirects");

    drop(server);
    let _restarted = start(&db, &spool, port).await;
    let stats: Value = api
        .get(format!("{base}/api/v1/links/kill/stats"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stored = stats["clicks"].as_i64().unwrap();
    assert!(
        stored >= received as i64,
        "stored {stored} clicks but {received} redirects were acknowledged"
    );
}
