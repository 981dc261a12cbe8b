//! Durable when answered: batches posted to a real `cxmap serve` survive a SIGKILL. Every
//! answered batch is stored whole after a restart, and any batch is either whole or absent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cxmap_store::{EventStore, StoredEvent};
use serde_json::{Value, json};

const EVENTS_PER_BATCH: usize = 400;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(db: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cxmap"))
        .args(["serve", "--db", db, "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_ready(http: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cxmap serve did not come up at {base}");
}

fn batch(n: usize) -> Value {
    Value::Array(
        (0..EVENTS_PER_BATCH)
            .map(|i| {
                let name = ["광고 클릭", "검색", "상품 조회", "결제 완료"][i % 4];
                json!({
                    "case_id": format!("b{n:05}-{:03}", i / 4),
                    "event": name,
                    "timestamp": format!("2024-05-01T00:{:02}:{:02}Z", i / 60 % 60, i % 60),
                })
            })
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_batches_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("kill.db").display());
    let out = Command::new(env!("CARGO_BIN_EXE_cxmap"))
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
    let token = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned();

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut child = serve(&db, port);
    wait_ready(&http, &base).await;

    // Four clients post batches until the server dies under them.
    let answered = Arc::new(Mutex::new(Vec::<usize>::new()));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        let (answered, next) = (answered.clone(), next.clone());
        clients.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let sent = http
                    .post(format!("{base}/api/v1/events"))
                    .bearer_auth(&token)
                    .header("Idempotency-Key", format!("kill-{n}"))
                    .json(&batch(n))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                        answered.lock().unwrap().push(n)
                    }
                    Ok(r) => panic!("batch {n}: {}", r.status()),
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for c in clients {
        c.await.unwrap();
    }
    let answered: Vec<usize> = answered.lock().unwrap().clone();
    assert!(
        answered.len() >= 3,
        "too few batches answered: {}",
        answered.len()
    );

    // Restart on the same file: every answered batch is there, whole; retrying it stores nothing.
    let mut child = serve(&db, port);
    wait_ready(&http, &base).await;
    for &n in &answered {
        let r = http
            .post(format!("{base}/api/v1/events"))
            .bearer_auth(&token)
            .header("Idempotency-Key", format!("kill-{n}"))
            .json(&batch(n))
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        assert_eq!(
            body["replayed"], true,
            "batch {n} was answered but is not stored"
        );
        assert_eq!(body["events"], EVENTS_PER_BATCH);
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let store = cxmap_store_sqlite::SqliteStore::connect(&db).await.unwrap();
    let me = cxmap_store::AccountStore::user_by_email(
        &store,
        &cxmap_domain::Email::parse("kill@example.com").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let workspace = cxmap_store::AccountStore::workspaces_of(&store, me.id)
        .await
        .unwrap()[0]
        .0
        .id;
    let mut per_batch: BTreeMap<usize, usize> = BTreeMap::new();
    store
        .scan_events(workspace, &mut |e: StoredEvent<'_>| {
            let n: usize = e.case_id[1..6].parse().unwrap();
            *per_batch.entry(n).or_default() += 1;
        })
        .await
        .unwrap();
    let answered: HashSet<usize> = answered.into_iter().collect();
    for n in &answered {
        assert_eq!(
            per_batch.get(n),
            Some(&EVENTS_PER_BATCH),
            "answered batch {n}"
        );
    }
    for (n, count) in per_batch {
        assert_eq!(count, EVENTS_PER_BATCH, "batch {n} is partly stored");
    }
}
