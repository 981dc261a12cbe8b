//! Survey e-mail delivery across a crash: a real `cxmap serve` drains a batch of due e-mail sends
//! through a real SMTP server (aiosmtpd, `crates/server/tests/support/smtp_sink.py`; the test
//! command puts a Python with aiosmtpd on `PATH` as `python3`), is killed with SIGKILL in the
//! middle of the batch, and is started again on the same database.
//!
//! The property: every due send reaches its recipient, and exactly once once copies with the
//! same Message-ID are merged. SMTP has no two-phase commit, so a message the SMTP server had
//! accepted when the process died, but whose `sent` mark had not committed yet, goes out again
//! after the claim's lease, with the same Message-ID; sends are handed over one at a time, so
//! at most one message can be in that window per kill. The test checks both halves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const CXMAP: &str = env!("CARGO_BIN_EXE_cxmap");
/// Due sends in the batch.
const SENDS: usize = 120;
/// The server is killed once the SMTP server has this many messages.
const KILL_AT: usize = 30;

/// Kills a child process when the test ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
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

/// The aiosmtpd sink: appends one JSON line per accepted message to `out`.
fn smtp_sink(port: u16, out: &std::path::Path) -> Guard {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../server/tests/support/smtp_sink.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(port.to_string())
        .arg(out)
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
    Guard(child)
}

fn serve(db: &str, port: u16, smtp_port: u16) -> Guard {
    let child = Command::new(CXMAP)
        .args(["serve", "--db", db, "--addr", &format!("127.0.0.1:{port}")])
        .args(["--smtp-host", "127.0.0.1", "--smtp-tls", "none"])
        .args(["--smtp-port", &smtp_port.to_string()])
        .args(["--smtp-from", "cxmap <survey@cxmap.test>"])
        .args(["--survey-secret", "survey-crash-test-secret-0123456789"])
        .args(["--scheduler-poll-ms", "20", "--send-lease-secs", "2"])
        .args(["--send-retry-base-secs", "1"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Guard(child)
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

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }
}

/// The sink's messages so far (a line being written is not counted).
fn received(out: &std::path::Path) -> Vec<Value> {
    let Ok(text) = std::fs::read_to_string(out) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_sends_are_delivered_once_across_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cx.db").display());
    let mail = dir.path().join("mail.jsonl");
    let out = Command::new(CXMAP)
        .args([
            "token",
            "create",
            "--db",
            &db,
            "--email",
            "crash@example.com",
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
        .trim()
        .to_owned();

    let smtp_port = free_port();
    let _sink = smtp_sink(smtp_port, &mail);
    let port = free_port();
    let api = Api {
        http: reqwest::Client::new(),
        base: format!("http://127.0.0.1:{port}"),
        token,
    };
    let mut server = serve(&db, port, smtp_port);
    wait_ready(&api.http, &api.base).await;

    // A survey on a touchpoint, SENDS respondents with e-mail addresses, no quiet hours.
    let me = api.call(reqwest::Method::GET, "/api/v1/me", None).await;
    let workspace = me["workspaces"][0]["id"].as_str().unwrap().to_owned();
    let projects = api
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/workspaces/{workspace}/projects"),
            None,
        )
        .await;
    let project = projects[0]["id"].as_str().unwrap().to_owned();
    let journey = api
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/projects/{project}/journeys"),
            Some(json!({"template": "retail_online_shopping"})),
        )
        .await;
    let touchpoint = journey["stages"][0]["touchpoints"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let survey = api
        .call(
            reqwest::Method::POST,
            &format!(
                "/api/v1/journeys/{}/surveys",
                journey["id"].as_str().unwrap()
            ),
            Some(json!({"touchpoint_id": touchpoint, "kind": "nps", "subject": "쇼핑몰"})),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.call(
        reqwest::Method::PUT,
        &format!("/api/v1/workspaces/{workspace}/survey-policy"),
        Some(json!({"cap": null, "quiet_hours": null, "default_utc_offset_minutes": 540})),
    )
    .await;
    let customers: Vec<String> = (0..SENDS).map(|i| format!("cust-{i:03}")).collect();
    for customer in &customers {
        api.call(
            reqwest::Method::PUT,
            &format!("/api/v1/workspaces/{workspace}/respondents/{customer}"),
            Some(json!({"email": format!("{customer}@example.com")})),
        )
        .await;
    }

    // The batch: all due now.
    let receipts = api
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/surveys/{survey}/sends"),
            Some(json!({"customer_ids": customers, "channel": "email"})),
        )
        .await;
    let mut send_of: BTreeMap<String, String> = BTreeMap::new();
    for r in receipts.as_array().unwrap() {
        assert_eq!(r["outcome"], "queued", "{r}");
        send_of.insert(
            format!("{}@example.com", r["customer_id"].as_str().unwrap()),
            r["send_id"].as_str().unwrap().to_owned(),
        );
    }
    assert_eq!(send_of.len(), SENDS);

    // SIGKILL in the middle of the batch.
    let deadline = Instant::now() + Duration::from_secs(60);
    while received(&mail).len() < KILL_AT {
        assert!(Instant::now() < deadline, "the scheduler did not send");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    server.0.kill().unwrap(); // SIGKILL on Unix
    server.0.wait().unwrap();
    let at_kill = received(&mail).len();
    assert!(
        at_kill < SENDS,
        "the whole batch went out before the kill ({at_kill}); the test proves nothing"
    );

    // Restart on the same database; the claims of the dead process expire and are taken over.
    drop(server);
    let _server = serve(&db, port, smtp_port);
    wait_ready(&api.http, &api.base).await;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let sends = api
            .call(
                reqwest::Method::GET,
                &format!("/api/v1/surveys/{survey}/sends"),
                None,
            )
            .await;
        let sends = sends.as_array().unwrap();
        assert_eq!(sends.len(), SENDS);
        let failed: Vec<&Value> = sends.iter().filter(|s| s["state"] == "failed").collect();
        assert!(failed.is_empty(), "sends failed: {failed:?}");
        if sends.iter().all(|s| s["state"] == "sent") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "sends did not all go out after the restart: {:?}",
            sends
                .iter()
                .filter(|s| s["state"] != "sent")
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let any message still on the wire land before counting.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let messages = received(&mail);
    let mut by_recipient: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in &messages {
        let to = m["to"].as_array().unwrap();
        assert_eq!(to.len(), 1, "{m}");
        by_recipient
            .entry(to[0].as_str().unwrap().to_owned())
            .or_default()
            .push(m["message_id"].as_str().unwrap().to_owned());
    }
    let mut copies = 0;
    for (recipient, send_id) in &send_of {
        let ids = by_recipient
            .remove(recipient)
            .unwrap_or_else(|| panic!("{recipient} got no message: a due send was lost"));
        let expected = format!("<survey-send-{send_id}@cxmap.test>");
        assert!(
            ids.iter().all(|id| *id == expected),
            "{recipient}: Message-IDs {ids:?}, expected {expected}"
        );
        copies += ids.len() - 1;
    }
    assert!(
        by_recipient.is_empty(),
        "messages to addresses nobody sent to: {by_recipient:?}"
    );
    // Only the message on the wire at the kill can be handed over twice (same Message-ID).
    assert!(
        copies <= 1,
        "{copies} messages were sent twice; at most the one in flight at the kill may be"
    );
    eprintln!(
        "survey_crash: {SENDS} sends, {at_kill} delivered before the SIGKILL, {} messages \
         received, {copies} duplicate(s) with the same Message-ID",
        messages.len()
    );
}
