//! The `cxmap` command line, run as a real process.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

fn cxmap(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cxmap"))
        .args(args)
        .current_dir(dir)
        .env_remove("CXMAP_DB")
        .env_remove("CXMAP_CONFIG")
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn demo_journey_file(dir: &Path) -> String {
    let db = format!("sqlite://{}", dir.join("a.db").display());
    ok(&cxmap(
        &[
            "token",
            "create",
            "--db",
            &db,
            "--email",
            "lead@example.com",
        ],
        dir,
    ));
    // Seed through the library-free path: import a template exported by a first store.
    let journey = cxmap_domain::templates::retail_online_shopping(
        cxmap_domain::ProjectId::new(),
        cxmap_domain::now(),
    );
    cxmap_domain::file::to_string(&journey)
}

#[test]
fn token_create_prints_the_token_last_and_makes_the_first_user_owner() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let out = cxmap(
        &["token", "create", "--db", &db, "--email", "Kim@Example.com"],
        dir.path(),
    );
    let stdout = ok(&out);
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("cxm_") && last.len() == 68, "{last}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("owner of workspace"));
    let again = ok(&cxmap(
        &["token", "create", "--db", &db, "--email", "kim@example.com"],
        dir.path(),
    ));
    assert_ne!(
        again.lines().last().unwrap(),
        last,
        "a new token every time"
    );
    let bad = cxmap(
        &["token", "create", "--db", &db, "--email", "not-an-email"],
        dir.path(),
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--email"));
}

#[test]
fn import_export_round_trips_between_databases() {
    let dir = tempfile::tempdir().unwrap();
    let text = demo_journey_file(dir.path());
    let path = dir.path().join("j.json");
    std::fs::write(&path, &text).unwrap();
    let db = format!("sqlite://{}", dir.path().join("a.db").display());

    // The file's project is not in this database: a clear message, nothing written.
    let out = cxmap(&["import", "j.json", "--db", &db], dir.path());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--project"));

    let project = first_project(&db, dir.path());
    ok(&cxmap(
        &["import", "j.json", "--db", &db, "--project", &project],
        dir.path(),
    ));
    let journey: serde_json::Value = serde_json::from_str(&text).unwrap();
    let id = journey["journey"]["id"].as_str().unwrap();
    let exported = ok(&cxmap(&["export", id, "--db", &db], dir.path()));
    let expected = text.replace(journey["journey"]["project_id"].as_str().unwrap(), &project);
    assert_eq!(exported, expected);

    let again = cxmap(
        &["import", "j.json", "--db", &db, "--project", &project],
        dir.path(),
    );
    assert!(
        !again.status.success(),
        "a second import of the same id is refused without --replace"
    );
    ok(&cxmap(
        &[
            "import",
            "j.json",
            "--db",
            &db,
            "--project",
            &project,
            "--replace",
        ],
        dir.path(),
    ));
}

fn first_project(db: &str, dir: &Path) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = cxmap_store_sqlite::SqliteStore::connect(db).await.unwrap();
        use cxmap_store::{AccountStore, JourneyStore};
        let user = store
            .user_by_email(&cxmap_domain::Email::parse("lead@example.com").unwrap())
            .await
            .unwrap()
            .unwrap();
        let workspace = store.workspaces_of(user.id).await.unwrap()[0].0.id;
        let _ = dir;
        store.projects(workspace).await.unwrap()[0].id.to_string()
    })
}

#[test]
fn bad_journey_files_are_refused_naming_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let text = demo_journey_file(dir.path());
    std::fs::write(
        dir.path().join("bad.json"),
        text.replacen("\"emotion\": 1", "\"emotion\": 3", 1),
    )
    .unwrap();
    let out = cxmap(&["render", "bad.json", "-o", "x.svg"], dir.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line ") && err.contains("emotion") && err.contains("between -2 and 2"),
        "{err}"
    );
    assert!(!dir.path().join("x.svg").exists());
    std::fs::write(
        dir.path().join("future.json"),
        text.replacen("\"version\": 1", "\"version\": 2", 1),
    )
    .unwrap();
    let err = String::from_utf8_lossy(
        &cxmap(&["render", "future.json", "-o", "x.svg"], dir.path()).stderr,
    )
    .to_string();
    assert!(err.contains("upgrade cxmap"), "{err}");
}

#[test]
fn render_writes_svg_png_and_pdf() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("j.json"), demo_journey_file(dir.path())).unwrap();
    for (name, magic) in [
        ("map.svg", &b"<svg"[..]),
        ("map.png", &b"\x89PNG"[..]),
        ("map.pdf", &b"%PDF"[..]),
    ] {
        ok(&cxmap(&["render", "j.json", "-o", name], dir.path()));
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        let head = &bytes[..bytes.len().min(200)];
        assert!(head.windows(magic.len()).any(|w| w == magic), "{name}");
    }
    let out = cxmap(&["render", "j.json", "-o", "map.gif"], dir.path());
    assert!(!out.status.success());
}

#[test]
fn config_comes_from_flags_env_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cfg.db").display());
    std::fs::write(dir.path().join("cxmap.toml"), format!("db = \"{db}\"\n")).unwrap();
    let out = ok(&cxmap(&["migrate"], dir.path()));
    assert!(out.contains("is at migration"), "{out}");
    let missing = Command::new(env!("CARGO_BIN_EXE_cxmap"))
        .args(["migrate"])
        .current_dir(std::env::temp_dir())
        .env_remove("CXMAP_DB")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no database"));
    std::fs::write(dir.path().join("cxmap.toml"), "dbb = 1\n").unwrap();
    let err = String::from_utf8_lossy(&cxmap(&["migrate"], dir.path()).stderr).to_string();
    assert!(err.contains("dbb"), "{err}");
}

#[test]
fn analyze_funnel_splits_by_a_column_from_a_file_or_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let log = "case_id,activity,timestamp,채널\n\
               c1,visit,2024-01-01 10:00:00,웹\n\
               c1,search,2024-01-01 10:05:00,앱\n\
               c2,visit,2024-01-02 10:00:00,웹\n\
               c3,visit,2024-01-03 10:00:00,앱\n\
               c3,search,2024-01-03 10:01:00,\n\
               c4,search,2024-01-04 10:00:00,\n";
    std::fs::write(dir.path().join("log.csv"), log).unwrap();
    let args = [
        "analyze",
        "funnel",
        "--log",
        "log.csv",
        "--steps",
        "visit,search",
        "--segment",
        "채널",
    ];
    let json: serde_json::Value = serde_json::from_str(&ok(&cxmap(
        &[&args[..], &["--format", "json"]].concat(),
        dir.path(),
    )))
    .unwrap();
    assert_eq!(json["cases"], 4);
    let segments: Vec<(serde_json::Value, u64, u64, u64)> = json["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let steps = |i: usize| s["steps"][i]["cases"].as_u64().unwrap();
            (
                s["segment"].clone(),
                s["cases"].as_u64().unwrap(),
                steps(0),
                steps(1),
            )
        })
        .collect();
    assert_eq!(
        segments,
        [
            (serde_json::json!("웹"), 2, 2, 1),
            (serde_json::json!("앱"), 1, 1, 1),
            (serde_json::Value::Null, 1, 0, 0),
        ]
    );

    let text = ok(&cxmap(&args, dir.path()));
    assert!(
        text.contains("segment 웹") && text.contains("segment (none)"),
        "{text}"
    );

    // The same log through a pipe.
    let mut child = Command::new(env!("CARGO_BIN_EXE_cxmap"))
        .args([
            "analyze",
            "funnel",
            "--log",
            "/dev/stdin",
            "--steps",
            "visit,search",
        ])
        .args(["--segment", "채널", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), log.as_bytes()).unwrap();
    let piped: serde_json::Value =
        serde_json::from_str(&ok(&child.wait_with_output().unwrap())).unwrap();
    assert_eq!(piped, json);

    let empty = cxmap(&[&args[..6], &["--segment", " "]].concat(), dir.path());
    assert!(!empty.status.success());
    assert!(String::from_utf8_lossy(&empty.stderr).contains("--segment needs a column name"));
    let missing = cxmap(&[&args[..6], &["--segment", "region"]].concat(), dir.path());
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("missing column `region`") && stderr.contains("채널"),
        "{stderr}"
    );
}
