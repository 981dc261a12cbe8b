//! `cxmap serve` as a real process: it answers, and SIGTERM drains and exits cleanly.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serve_answers_and_sigterm_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("s.db").display());
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cxmap"))
        .args(["serve", "--db", &db, "--addr", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let ready = lines
        .by_ref()
        .take(50)
        .map(|l| l.unwrap())
        .any(|l| l.contains("listening"));
    assert!(ready, "server did not report listening");

    let health = http_get(port, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let mut exited = None;
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = exited.expect("cxmap serve exits within 10 s of SIGTERM");
    assert!(
        status.success(),
        "graceful shutdown exits 0, got {status:?}"
    );
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    assert!(
        rest.iter().any(|l| l.contains("shutdown signal received")),
        "{rest:?}"
    );
    assert!(
        !rest
            .iter()
            .any(|l| l.contains(&db) && l.contains("password"))
    );
}
