//! The SQLite adapter's bulk paths store exactly what they were given, in order: event
//! batches large enough for the one-statement JSON path (odd characters, raw attribute text,
//! timestamp ties, a NUL that forces the bound path) and click batches of every padded size.
#![allow(clippy::unwrap_used)]

use cxmap_domain::{LinkId, WorkspaceId};
use cxmap_store::{Click, ClickSource, EventStore, LinkStore, NewEvent};
use cxmap_store_sqlite::SqliteStore;
use sqlx::Row;

async fn fresh() -> SqliteStore {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.keep().join("bulk.db");
    let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store
}

type Row4 = (String, String, i64, Option<String>);

async fn stored_events(store: &SqliteStore, workspace: WorkspaceId) -> Vec<Row4> {
    sqlx::query(
        "SELECT case_id, activity, ts, attrs FROM events WHERE workspace_id = ? ORDER BY seq",
    )
    .bind(workspace.as_uuid())
    .fetch_all(store.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.get("case_id"),
            r.get("activity"),
            r.get("ts"),
            r.get("attrs"),
        )
    })
    .collect()
}

#[tokio::test]
async fn large_event_batches_are_stored_verbatim_and_in_order() {
    let store = fresh().await;
    let workspace = WorkspaceId::new();
    let odd = [
        "광고 클릭",
        "say \"hi\"",
        "back\\slash",
        "line\nbreak\ttab",
        "emoji 🎉",
        "\u{7f}\u{1}ctl",
        "",
    ];
    let attrs = [
        Some(r#"{"채널": "앱", "amount": 12000}"#),
        Some(r#"{"escaped":"\uAD11\uACE0","nested":{"a":[1, 2.50, null]}}"#),
        None,
        Some("{ }"),
    ];
    let texts: Vec<(String, String)> = (0..40)
        .map(|i| {
            (
                format!("case-{}-{}", i % 3, odd[i % odd.len()]),
                format!("{} {i}", odd[(i + 3) % odd.len()]),
            )
        })
        .collect();
    let batch: Vec<NewEvent<'_>> = texts
        .iter()
        .enumerate()
        .map(|(i, (case_id, activity))| NewEvent {
            case_id,
            activity,
            // Ties on purpose: storage order must follow the batch.
            ts_us: 1_700_000_000_000_000 + (i as i64 / 4),
            attributes: attrs[i % attrs.len()],
        })
        .collect();
    let receipt = store
        .append_events(workspace, None, &batch, cxmap_domain::now())
        .await
        .unwrap();
    assert_eq!(receipt.events, 40);

    // A batch with a NUL in a text goes through the bound path and keeps it.
    let nul_case = "nul\0case".to_owned();
    let mut with_nul: Vec<NewEvent<'_>> = batch[..20].to_vec();
    with_nul[7].case_id = &nul_case;
    store
        .append_events(workspace, None, &with_nul, cxmap_domain::now())
        .await
        .unwrap();

    let expected: Vec<Row4> = batch
        .iter()
        .chain(with_nul.iter())
        .map(|e| {
            (
                e.case_id.to_owned(),
                e.activity.to_owned(),
                e.ts_us,
                e.attributes.map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(stored_events(&store, workspace).await, expected);
}

#[tokio::test]
async fn click_batches_of_every_size_store_each_click_once() {
    let store = fresh().await;
    let (_, workspace) = {
        let email = cxmap_domain::Email::parse("bulk@example.com").unwrap();
        let ensured = cxmap_store::ensure_user(&store, &email, "Bulk", None, cxmap_domain::now())
            .await
            .unwrap();
        (ensured.user, ensured.new_workspace.unwrap())
    };
    let link = cxmap_store::Link {
        id: LinkId::new(),
        slug: cxmap_domain::Slug::parse("bulk").unwrap(),
        workspace_id: workspace.id,
        journey_id: None,
        touchpoint_id: None,
        target: "https://example.com/".into(),
        utm: Default::default(),
        password_hash: None,
        expires_at: None,
        disabled: false,
        created_by: None,
        created_at: cxmap_domain::now(),
        updated_at: cxmap_domain::now(),
    };
    store.create_link(&link).await.unwrap();
    let click = |n: usize| Click {
        id: uuid::Uuid::now_v7(),
        link_id: link.id,
        at: cxmap_domain::now(),
        source: ClickSource::Link,
        bot: n.is_multiple_of(5),
        device: "mobile".into(),
        browser: format!("Safari {n}"),
        referrer_host: n.is_multiple_of(2).then(|| "example.org".to_owned()),
        country: None,
        visitor: Some(format!("v{n}")),
    };
    let mut total = 0;
    // 1…5 rows, around the padded sizes, the statement limit and over it (a replay).
    for size in [1, 2, 3, 5, 63, 64, 65, 1023, 1024, 1025, 2000] {
        let batch: Vec<Click> = (0..size).map(click).collect();
        store.record_clicks(&batch).await.unwrap();
        // Replayed after a crash: nothing twice.
        store.record_clicks(&batch).await.unwrap();
        total += size;
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM clicks")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(stored, total as i64);
    let nulls: i64 =
        sqlx::query_scalar("SELECT count(*) FROM clicks WHERE id IS NULL OR device IS NULL")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(nulls, 0);
}
