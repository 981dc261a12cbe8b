//! Load generator for `POST /api/v1/events`: `--concurrency` clients post batches of
//! `--batch` events (JSON array or NDJSON) for `--seconds`, each with its own Idempotency-Key,
//! and count only answered (201) batches, so the rate is "durable when answered".
//!
//! Built as an example of cxmap-cli (`cargo build --release -p cxmap-cli --example ingest-load`);
//! run by `bench/ingest/run.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Args {
    url: String,
    token: String,
    batch: usize,
    concurrency: usize,
    seconds: u64,
    ndjson: bool,
}

fn args() -> Args {
    let mut a = Args {
        url: "http://127.0.0.1:8080".into(),
        token: String::new(),
        batch: 5000,
        concurrency: 4,
        seconds: 20,
        ndjson: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().expect("flag without value");
        match flag.as_str() {
            "--url" => a.url = value(),
            "--token" => a.token = value(),
            "--batch" => a.batch = value().parse().unwrap(),
            "--concurrency" => a.concurrency = value().parse().unwrap(),
            "--seconds" => a.seconds = value().parse().unwrap(),
            "--ndjson" => a.ndjson = true,
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

const NAMES: [&str; 8] = [
    "광고 클릭",
    "검색",
    "상품 조회",
    "결제 시작",
    "결제 완료",
    "배송 완료",
    "문의",
    "리뷰 작성",
];

/// A batch body: `batch` events over `batch / 6` cases, realistic sizes (~130 bytes/event).
fn body(seed: usize, batch: usize, ndjson: bool) -> Vec<u8> {
    let mut events = Vec::with_capacity(batch);
    for i in 0..batch {
        let case = format!("cust-{seed:04}-{:05}", i / 6);
        let event = serde_json::json!({
            "case_id": case,
            "event": NAMES[(i + seed) % NAMES.len()],
            "timestamp": format!("2025-03-{:02}T{:02}:{:02}:{:02}.{:03}+09:00",
                1 + seed % 28, i / 3600 % 24, i / 60 % 60, i % 60, i % 1000),
            "attributes": {"channel": if i % 3 == 0 { "app" } else { "web" }, "amount": i * 100},
        });
        events.push(event);
    }
    if ndjson {
        let mut out = Vec::new();
        for e in events {
            serde_json::to_writer(&mut out, &e).unwrap();
            out.push(b'\n');
        }
        out
    } else {
        serde_json::to_vec(&events).unwrap()
    }
}

#[tokio::main]
async fn main() {
    let a = args();
    let bodies: Arc<Vec<bytes::Bytes>> =
        Arc::new((0..32).map(|s| body(s, a.batch, a.ndjson).into()).collect());
    let mean_bytes = bodies.iter().map(|b| b.len()).sum::<usize>() / bodies.len();
    let client = reqwest::Client::new();
    let batches = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let next_key = Arc::new(AtomicU64::new(0));
    let run_id = std::process::id();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(a.seconds);
    let mut tasks = Vec::new();
    for _ in 0..a.concurrency {
        let (client, bodies, batches, failed, next_key) = (
            client.clone(),
            bodies.clone(),
            batches.clone(),
            failed.clone(),
            next_key.clone(),
        );
        let (url, token, ndjson) = (a.url.clone(), a.token.clone(), a.ndjson);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let k = next_key.fetch_add(1, Ordering::Relaxed);
                let body = bodies[k as usize % bodies.len()].clone();
                let t0 = Instant::now();
                let r = client
                    .post(format!("{url}/api/v1/events"))
                    .bearer_auth(&token)
                    .header("Idempotency-Key", format!("load-{run_id}-{k}"))
                    .header(
                        "Content-Type",
                        if ndjson {
                            "application/x-ndjson"
                        } else {
                            "application/json"
                        },
                    )
                    .body(body)
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                        latencies.push(t0.elapsed());
                        batches.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let n = batches.load(Ordering::Relaxed);
    let events = n * a.batch as u64;
    println!(
        "format={} batch={} concurrency={} seconds={elapsed:.1} batches={n} failed={} events={events} \
         events_per_s={:.0} body_bytes={mean_bytes} p50_ms={:.1} p99_ms={:.1}",
        if a.ndjson { "ndjson" } else { "json" },
        a.batch,
        a.concurrency,
        failed.load(Ordering::Relaxed),
        events as f64 / elapsed,
        pct(0.5),
        pct(0.99),
    );
}
