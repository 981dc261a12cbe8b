//! The shared store behaviour suite against PostgreSQL, each test in its own fresh database,
//! plus PostgreSQL-specific checks.
//!
//! The server is given by `CXMAP_TEST_PG` (an admin URL, default
//! `postgres://postgres@127.0.0.1:5432/postgres`); `scripts/pg-test-env.sh` sets it, starting a
//! throwaway server when none answers. Every test creates `cxmap_test_<unix seconds>_<random>`
//! there; unused ones older than ten minutes are swept at the start of each test, and a
//! throwaway server takes all of them with it when it stops.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use cxmap_domain::{ProjectId, templates};
use cxmap_store::{AccountStore, JourneyStore, Store, StoreError};
use cxmap_store_postgres::{ACQUIRE_TIMEOUT, PgStore};
use rand::Rng;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const PREFIX: &str = "cxmap_test_";
// A database in use cannot be dropped (no FORCE), so the age only guards the instant between
// CREATE DATABASE and the first connection; ten minutes is far beyond any one test.
const SWEEP_AFTER_SECS: u64 = 600;

fn admin_url() -> String {
    std::env::var("CXMAP_TEST_PG").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// The URL of database `name` on the test server.
fn database_url(name: &str) -> String {
    let admin = admin_url();
    // Replace the path (the admin database) and keep any query string.
    let (base, query) = match admin.split_once('?') {
        Some((base, query)) => (base.to_owned(), format!("?{query}")),
        None => (admin.clone(), String::new()),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|i| start + i))
        .unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..authority_end])
}

async fn admin() -> PgConnection {
    let url = admin_url();
    PgConnection::connect(&url).await.unwrap_or_else(|e| {
        panic!("no PostgreSQL at CXMAP_TEST_PG={url}: {e}; `source scripts/pg-test-env.sh` first")
    })
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Only names this file makes may be spliced into SQL.
fn is_test_name(name: &str) -> bool {
    name.strip_prefix(PREFIX).is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'_')
    })
}

/// Drops test databases from runs that ended long ago; in-use ones are skipped.
async fn sweep_old(admin: &mut PgConnection) {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE starts_with(datname, 'cxmap_test_')",
    )
    .fetch_all(&mut *admin)
    .await
    .unwrap();
    let now = unix_now();
    for name in names.into_iter().filter(|n| is_test_name(n)) {
        let created = name[PREFIX.len()..]
            .split('_')
            .next()
            .and_then(|s| s.parse::<u64>().ok());
        if created.is_some_and(|t| now.saturating_sub(t) > SWEEP_AFTER_SECS) {
            // Fails harmlessly if another run still uses it.
            let _ = sqlx::query(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
                .execute(&mut *admin)
                .await;
        }
    }
}

/// Creates an empty database of its own and returns its name.
async fn fresh_database() -> String {
    let mut admin = admin().await;
    sweep_old(&mut admin).await;
    let name = format!(
        "{PREFIX}{}_{:016x}",
        unix_now(),
        rand::rng().random::<u64>()
    );
    assert!(is_test_name(&name));
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    name
}

/// A connected, migrated, empty store in a database of its own.
async fn fresh() -> PgStore {
    let store = PgStore::connect(&database_url(&fresh_database().await))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store
}

cxmap_store::store_suite!(fresh());

#[tokio::test]
async fn migrations_apply_once_and_report_the_schema() {
    let store = PgStore::connect(&database_url(&fresh_database().await))
        .await
        .unwrap();
    assert_eq!(store.backend(), "postgres");
    let bare = store.schema_status().await.unwrap();
    assert_eq!(bare.database, 0);
    assert!(bare.known >= 1);
    let first = store.migrate().await.unwrap();
    assert_eq!(first.database, first.known);
    assert_eq!(store.migrate().await.unwrap(), first);
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let store = fresh().await;
    let known = store.schema_status().await.unwrap().known;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99999, 'future', true, '\\x00'::bytea, 0)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let err = store.migrate().await.unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { database: 99999, known: k } if k == known),
        "{err:?}"
    );
    assert!(err.to_string().contains("upgrade cxmap"), "{err}");
}

#[tokio::test]
async fn a_server_that_is_down_is_unavailable_without_hanging() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let started = std::time::Instant::now();
    let result = tokio::time::timeout(
        ACQUIRE_TIMEOUT + Duration::from_secs(5),
        PgStore::connect(&url),
    )
    .await
    .expect("connecting to a closed port must not hang");
    match result {
        Err(StoreError::Unavailable(why)) => {
            assert!(why.contains(&format!("127.0.0.1:{port}")), "{why}")
        }
        Err(other) => panic!("expected Unavailable, got {other:?}"),
        Ok(_) => panic!("connected to a closed port"),
    }
    assert!(
        started.elapsed() <= ACQUIRE_TIMEOUT + Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn killed_connections_are_replaced() {
    // What a server restart or `pg_terminate_backend` does to a running cxmap: the pool must
    // notice the dead connections and open new ones instead of failing every request.
    let name = fresh_database().await;
    let store = PgStore::connect(&database_url(&name)).await.unwrap();
    store.migrate().await.unwrap();
    let mut admin = admin().await;
    let killed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()) AS t",
    )
    .bind(&name)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(killed >= 1, "the store held no connection to kill");
    assert_eq!(store.count_users().await.unwrap(), 0);
}

#[tokio::test]
async fn journey_documents_are_queryable_jsonb() {
    let store = fresh().await;
    let project = cxmap_store::ensure_user(
        &store,
        &cxmap_domain::Email::parse("owner@example.com").unwrap(),
        "Owner",
        None,
        Utc::now(),
    )
    .await
    .unwrap();
    let workspace = project.new_workspace.unwrap();
    let project: ProjectId = store.projects(workspace.id).await.unwrap()[0].id;
    let journey = templates::retail_online_shopping(project, Utc::now());
    store.create_journey(&journey).await.unwrap();

    let (kind, title, stages): (String, String, i32) = sqlx::query_as(
        "SELECT pg_typeof(doc)::TEXT, doc->>'title', jsonb_array_length(doc->'stages') \
         FROM journeys WHERE id = $1",
    )
    .bind(journey.id.as_uuid())
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(kind, "jsonb");
    assert_eq!(title, journey.title.as_str());
    assert_eq!(usize::try_from(stages).unwrap(), journey.stages.len());

    // Containment works on the document, so later features can index and filter in SQL.
    let first_stage = journey.stages[0].name.as_str();
    let found: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM journeys WHERE doc->'stages' @> jsonb_build_array(jsonb_build_object('name', $1::TEXT))",
    )
    .bind(first_stage)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(found, 1);
}

#[test]
fn migration_numbers_match_the_sqlite_adapter() {
    let versions = |dir: &str| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut numbers: Vec<String> = std::fs::read_dir(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".sql"))
            .map(|name| name.split('_').next().unwrap_or_default().to_owned())
            .collect();
        numbers.sort();
        numbers
    };
    let postgres = versions("migrations");
    assert!(!postgres.is_empty());
    assert_eq!(postgres, versions("../store-sqlite/migrations"));
}

#[tokio::test]
async fn timestamps_keep_microseconds() {
    // TIMESTAMPTZ holds microseconds; the clock gives nanoseconds. A time already cut to the
    // microsecond comes back exactly, a finer one comes back cut (never rounded up).
    use chrono::SubsecRound;
    let store = fresh().await;
    let exact = Utc::now().trunc_subsecs(6);
    let fine = exact + chrono::Duration::nanoseconds(999);
    for (email, created_at) in [("exact@example.com", exact), ("fine@example.com", fine)] {
        let user = cxmap_store::User {
            id: cxmap_domain::UserId::new(),
            email: cxmap_domain::Email::parse(email).unwrap(),
            name: "시간".into(),
            created_at,
        };
        store.create_user(&user, None).await.unwrap();
        assert_eq!(store.user(user.id).await.unwrap().created_at, exact);
    }
}

/// A commit through one pool is announced to a listener on another (another server process),
/// and only once the transaction has committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_are_announced_to_other_processes() {
    use cxmap_domain::{ClientId, JourneyOp, Title, Version, ops::JourneyPatch};
    use cxmap_store::{CollabStore, OpLogEntry};
    use futures::StreamExt;

    let name = fresh_database().await;
    let writer = PgStore::connect(&database_url(&name)).await.unwrap();
    writer.migrate().await.unwrap();
    let listener = PgStore::connect(&database_url(&name)).await.unwrap();
    let mut feed = listener
        .change_feed()
        .await
        .unwrap()
        .expect("postgres has a feed");

    let email = cxmap_domain::Email::parse("feed@example.com").unwrap();
    let ensured = cxmap_store::ensure_user(&writer, &email, "Feed", None, Utc::now())
        .await
        .unwrap();
    let workspace = ensured.new_workspace.unwrap();
    let project = writer.projects(workspace.id).await.unwrap().remove(0);
    let mut journey = templates::b2b_saas(project.id, Utc::now());
    writer.create_journey(&journey).await.unwrap();
    let base = journey.version;
    let ops = vec![JourneyOp::UpdateJourney {
        patch: JourneyPatch {
            title: Some(Title::parse("announced").unwrap()),
            ..Default::default()
        },
    }];
    let user = ensured.user.id;
    writer
        .commit_with(journey.id, &mut |mut current| {
            current.apply(&ops, Utc::now()).unwrap();
            let entry = OpLogEntry {
                journey_id: current.id,
                version: current.version,
                client_id: ClientId::new(),
                client_seq: 1,
                user_id: user,
                ops: ops.clone(),
                created_at: current.updated_at,
            };
            Some((current, vec![entry]))
        })
        .await
        .unwrap();
    journey.version = Version(base.0 + 1);
    let notice = tokio::time::timeout(Duration::from_secs(10), feed.next())
        .await
        .expect("a notice within 10 s")
        .expect("the feed stays open");
    assert_eq!(
        (notice.journey, notice.version),
        (journey.id, journey.version)
    );
    assert_eq!(
        notice.entries.len(),
        1,
        "a small commit travels in the notice"
    );
    assert_eq!(notice.entries[0].ops, ops);
}
