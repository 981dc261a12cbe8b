//! Edit-propagation load generator for the co-editing WebSocket.
//!
//! `--editors` clients join one journey (spread round-robin over the `--url`s, e.g. two server
//! processes on one PostgreSQL); each sends one edit batch every `--interval-ms` (jittered) for
//! `--seconds`. Every batch is stamped on send; every other editor measures the time until the
//! batch arrives as `ops`. Prints count, p50/p90/p99/max of those propagation times, and the
//! acknowledgement (`applied`) latency of the sender.
//!
//! Built as an example of cxmap-cli (`cargo build --release -p cxmap-cli --example collab-load`);
//! run by `bench/collab/run.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

struct Args {
    urls: Vec<String>,
    token: String,
    journey: String,
    editors: usize,
    interval_ms: u64,
    seconds: u64,
}

fn args() -> Args {
    let mut a = Args {
        urls: Vec::new(),
        token: String::new(),
        journey: String::new(),
        editors: 50,
        interval_ms: 500,
        seconds: 20,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().expect("flag without value");
        match flag.as_str() {
            "--url" => a.urls.push(value()),
            "--token" => a.token = value(),
            "--journey" => a.journey = value(),
            "--editors" => a.editors = value().parse().unwrap(),
            "--interval-ms" => a.interval_ms = value().parse().unwrap(),
            "--seconds" => a.seconds = value().parse().unwrap(),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(!a.urls.is_empty(), "--url is required");
    a
}

/// When each (client, seq) batch was sent.
type Sent = Arc<Mutex<HashMap<(String, i64), Instant>>>;

#[derive(Default)]
struct Samples {
    propagation: Vec<f64>,
    acknowledgement: Vec<f64>,
    rejected: u64,
}

#[tokio::main]
async fn main() {
    let args = args();
    let sent: Sent = Arc::default();
    let samples = Arc::new(Mutex::new(Samples::default()));
    let start_at = Instant::now() + Duration::from_secs(2);
    let stop_at = start_at + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for editor in 0..args.editors {
        let url = format!(
            "{}/api/v1/journeys/{}/live",
            args.urls[editor % args.urls.len()].replace("http://", "ws://"),
            args.journey
        );
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {}", args.token).parse().unwrap(),
        );
        // Browsers disable Nagle's algorithm on their sockets; so do these editors.
        let (socket, _) = tokio_tungstenite::connect_async_with_config(request, None, true)
            .await
            .unwrap();
        let (sent, samples) = (sent.clone(), samples.clone());
        let interval = Duration::from_millis(args.interval_ms);
        tasks.push(tokio::spawn(async move {
            editor_loop(socket, editor, interval, start_at, stop_at, sent, samples).await
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let samples = samples.lock().unwrap();
    let batches = sent.lock().unwrap().len();
    println!(
        "editors={} servers={} interval_ms={} seconds={} batches_sent={} rejected={}",
        args.editors,
        args.urls.len(),
        args.interval_ms,
        args.seconds,
        batches,
        samples.rejected
    );
    report(
        "propagation (send → others receive ops)",
        &samples.propagation,
    );
    report(
        "acknowledgement (send → sender receives applied)",
        &samples.acknowledgement,
    );
}

async fn editor_loop(
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    editor: usize,
    interval: Duration,
    start_at: Instant,
    stop_at: Instant,
    sent: Sent,
    samples: Arc<Mutex<Samples>>,
) {
    let (mut tx, mut rx) = socket.split();
    let client = uuid::Uuid::now_v7().to_string();
    let mut targets: Vec<String> = Vec::new();
    // The hello frame names the touchpoints to edit.
    while let Some(Ok(frame)) = rx.next().await {
        if let Message::Text(text) = frame {
            let message: Value = serde_json::from_str(&text).unwrap();
            if message["type"] == "hello" {
                for stage in message["journey"]["stages"].as_array().unwrap() {
                    for tp in stage["touchpoints"].as_array().unwrap() {
                        targets.push(tp["id"].as_str().unwrap().to_owned());
                    }
                }
                break;
            }
        }
    }
    assert!(!targets.is_empty(), "the journey needs touchpoints");
    let sender = {
        let sent = sent.clone();
        let client = client.clone();
        tokio::spawn(async move {
            // Spread the editors' first sends over one interval.
            let offset = interval.mul_f64((editor as f64 * 0.618_034) % 1.0);
            tokio::time::sleep_until((start_at + offset).into()).await;
            let mut seq = 0i64;
            while Instant::now() < stop_at {
                seq += 1;
                let target = &targets[(editor * 7 + seq as usize) % targets.len()];
                let frame = json!({
                    "type": "ops", "client_id": client, "client_seq": seq,
                    "ops": [{"op": "update_touchpoint", "id": target,
                             "patch": {"emotion": (seq % 5) - 2, "owner": format!("editor {editor}")}}]
                });
                sent.lock()
                    .unwrap()
                    .insert((client.clone(), seq), Instant::now());
                if tx
                    .send(Message::Text(frame.to_string().into()))
                    .await
                    .is_err()
                {
                    break;
                }
                tokio::time::sleep(interval).await;
            }
            // Let the last batches arrive everywhere before closing.
            tokio::time::sleep(Duration::from_secs(2)).await;
            let _ = tx.close().await;
        })
    };
    while let Some(Ok(frame)) = rx.next().await {
        let Message::Text(text) = frame else { continue };
        let received = Instant::now();
        let message: Value = serde_json::from_str(&text).unwrap();
        let key = || {
            (
                message["client_id"].as_str().unwrap_or_default().to_owned(),
                message["client_seq"].as_i64().unwrap_or_default(),
            )
        };
        let kind = message["type"].as_str().unwrap_or_default();
        let at = match kind {
            "ops" | "applied" => sent.lock().unwrap().get(&key()).copied(),
            "rejected" => {
                samples.lock().unwrap().rejected += 1;
                None
            }
            _ => None,
        };
        if let Some(at) = at {
            let ms = received.duration_since(at).as_secs_f64() * 1000.0;
            let mut samples = samples.lock().unwrap();
            if kind == "ops" {
                samples.propagation.push(ms);
            } else {
                samples.acknowledgement.push(ms);
            }
        }
    }
    sender.await.unwrap();
}

fn report(label: &str, values: &[f64]) {
    if values.is_empty() {
        println!("{label}: no samples");
        return;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let pick = |q: f64| sorted[((sorted.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{label}: n={} p50={:.1}ms p90={:.1}ms p99={:.1}ms max={:.1}ms",
        sorted.len(),
        pick(0.5),
        pick(0.9),
        pick(0.99),
        pick(1.0)
    );
}
