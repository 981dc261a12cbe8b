//! The behaviour suite every store adapter must pass.
//!
//! Each adapter calls [`store_suite!`](crate::store_suite) with an async expression that makes a
//! fresh, migrated, empty store; the macro expands to one `#[tokio::test]` per behaviour.

// Test-support code: a failed expectation should panic with the value, as in any test.
#![allow(clippy::unwrap_used, clippy::panic)]

use chrono::Duration;
use cxmap_domain::*;

use crate::{
    BatchKey, Click, ClickScope, ClickSource, Link, NewEvent, NewToken, Store, StoreError,
    StoredEvent, TokenHash, Utm, apply_ops, ensure_user,
};

mod collab;
mod surveys;
pub use collab::*;
pub use surveys::*;

/// Expands to one test per behaviour, each on a fresh store made by `$fresh` (an async block
/// returning an `impl Store`).
#[macro_export]
macro_rules! store_suite {
    ($fresh:expr) => {
        $crate::store_suite!(@tests $fresh;
            users_workspaces_and_roles,
            first_user_gets_a_workspace,
            tokens_resolve_until_revoked,
            projects_crud,
            journeys_round_trip_exactly,
            stale_writes_conflict,
            concurrent_appliers_lose_nothing,
            import_is_all_or_nothing,
            deleting_a_project_cascades,
            comments_crud,
            unknown_ids_are_not_found,
            event_batches_are_idempotent_and_scanned_in_order,
            event_imports_are_all_or_nothing,
            case_attributes_come_from_the_earliest_event_with_one,
            mapping_rules_crud,
            links_crud_and_unique_slugs,
            clicks_are_counted_once_by_every_dimension,
            journey_scope_and_since_filter_clicks,
            visitor_salt_is_created_once,
            surveys_and_answers,
            respondents_unsubscribe_and_erase,
            policies_and_triggers,
            send_queue_leases,
            concurrent_claims_are_disjoint,
            frequency_cap_and_dedupe,
            sessions_expire_and_end,
            shares_grant_until_revoked_or_expired,
            mentions_are_indexed,
            op_log_commits_atomically,
        );
    };
    (@tests $fresh:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = $fresh.await;
                $crate::suite::$name(&store).await;
            }
        )*
    };
}

async fn seeded<S: Store>(store: &S) -> (crate::User, Workspace, Project) {
    let email = Email::parse("owner@example.com").unwrap();
    let ensured = ensure_user(store, &email, "Owner", None, cxmap_domain::now())
        .await
        .unwrap();
    let workspace = ensured.new_workspace.unwrap();
    let project = store.projects(workspace.id).await.unwrap().remove(0);
    (ensured.user, workspace, project)
}

fn sample_journey(project: ProjectId) -> Journey {
    templates::retail_online_shopping(project, cxmap_domain::now())
}

/// Users are unique by e-mail; roles are kept per workspace.
pub async fn users_workspaces_and_roles<S: Store>(store: &S) {
    let (owner, workspace, _) = seeded(store).await;
    let viewer = crate::User {
        id: UserId::new(),
        email: Email::parse("viewer@example.com").unwrap(),
        name: "뷰어".into(),
        created_at: cxmap_domain::now(),
    };
    store
        .create_user(&viewer, Some("$argon2id$fake"))
        .await
        .unwrap();
    let dup = crate::User {
        id: UserId::new(),
        ..viewer.clone()
    };
    assert!(matches!(
        store.create_user(&dup, None).await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(
        store.password_hash(viewer.id).await.unwrap().as_deref(),
        Some("$argon2id$fake")
    );
    store
        .set_password(viewer.id, "$argon2id$new")
        .await
        .unwrap();
    assert_eq!(
        store.password_hash(viewer.id).await.unwrap().as_deref(),
        Some("$argon2id$new")
    );
    assert!(matches!(
        store.set_password(UserId::new(), "x").await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        store.user_by_email(&viewer.email).await.unwrap().unwrap(),
        viewer
    );

    assert_eq!(
        store.role(workspace.id, owner.id).await.unwrap(),
        Some(Role::Owner)
    );
    assert_eq!(store.role(workspace.id, viewer.id).await.unwrap(), None);
    store
        .set_member(workspace.id, viewer.id, Role::Viewer)
        .await
        .unwrap();
    store
        .set_member(workspace.id, viewer.id, Role::Commenter)
        .await
        .unwrap();
    assert_eq!(
        store.role(workspace.id, viewer.id).await.unwrap(),
        Some(Role::Commenter)
    );
    let members = store.members(workspace.id).await.unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(
        store.workspaces_of(viewer.id).await.unwrap()[0].1,
        Role::Commenter
    );
    store.remove_member(workspace.id, viewer.id).await.unwrap();
    assert_eq!(store.role(workspace.id, viewer.id).await.unwrap(), None);
}

/// Only the very first user gets a workspace of their own.
pub async fn first_user_gets_a_workspace<S: Store>(store: &S) {
    let (owner, _, _) = seeded(store).await;
    let again = ensure_user(store, &owner.email, "Owner", None, cxmap_domain::now())
        .await
        .unwrap();
    assert_eq!(again.user.id, owner.id);
    assert!(again.new_workspace.is_none());
    let second = ensure_user(
        store,
        &Email::parse("b@example.com").unwrap(),
        "B",
        None,
        cxmap_domain::now(),
    )
    .await
    .unwrap();
    assert!(second.new_workspace.is_none());
    assert!(
        store
            .workspaces_of(second.user.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.count_users().await.unwrap(), 2);
}

/// A token finds its user until it is revoked; only the hash is needed.
pub async fn tokens_resolve_until_revoked<S: Store>(store: &S) {
    let (owner, _, _) = seeded(store).await;
    let token = NewToken::generate();
    store.add_token(owner.id, "ci", &token.hash).await.unwrap();
    let found = store
        .user_by_token(&TokenHash::of(&token.plaintext))
        .await
        .unwrap();
    assert_eq!(found.unwrap().id, owner.id);
    assert!(
        store
            .user_by_token(&TokenHash::of("cxm_wrong"))
            .await
            .unwrap()
            .is_none()
    );
    store.revoke_token(&token.hash).await.unwrap();
    assert!(store.user_by_token(&token.hash).await.unwrap().is_none());
}

/// Projects can be created, listed, renamed and deleted.
pub async fn projects_crud<S: Store>(store: &S) {
    let (_, workspace, first) = seeded(store).await;
    let mut second = Project {
        id: ProjectId::new(),
        workspace_id: workspace.id,
        name: Title::parse("두 번째").unwrap(),
        description: Text::default(),
        created_at: first.created_at + Duration::seconds(1),
    };
    store.create_project(&second).await.unwrap();
    second.name = Title::parse("Renamed").unwrap();
    store.update_project(&second).await.unwrap();
    let all = store.projects(workspace.id).await.unwrap();
    assert_eq!(
        all.iter().map(|p| p.id).collect::<Vec<_>>(),
        [first.id, second.id]
    );
    assert_eq!(store.project(second.id).await.unwrap(), second);
    store.delete_project(second.id).await.unwrap();
    assert!(matches!(
        store.project(second.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// A stored journey comes back field for field, Korean text and timestamps included.
pub async fn journeys_round_trip_exactly<S: Store>(store: &S) {
    let (_, _, project) = seeded(store).await;
    let journey = sample_journey(project.id);
    store.create_journey(&journey).await.unwrap();
    assert_eq!(store.journey(journey.id).await.unwrap(), journey);
    assert!(matches!(
        store.create_journey(&journey).await,
        Err(StoreError::AlreadyExists(_))
    ));
    let list = store.journeys(project.id).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].title, journey.title);
}

/// A write based on an old version is refused and changes nothing.
pub async fn stale_writes_conflict<S: Store>(store: &S) {
    let (_, _, project) = seeded(store).await;
    let journey = sample_journey(project.id);
    store.create_journey(&journey).await.unwrap();
    let rename = |t: &str| JourneyOp::UpdateJourney {
        patch: ops_patch_title(t),
    };
    let v1 = apply_ops(
        store,
        journey.id,
        Some(Version(0)),
        &[rename("A")],
        cxmap_domain::now(),
    )
    .await
    .unwrap();
    assert_eq!(v1.version, Version(1));
    let stale = apply_ops(
        store,
        journey.id,
        Some(Version(0)),
        &[rename("B")],
        cxmap_domain::now(),
    )
    .await;
    match stale {
        Err(StoreError::VersionConflict { expected, actual }) => {
            assert_eq!((expected, actual), (Version(0), Version(1)));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(store.journey(journey.id).await.unwrap().title.as_str(), "A");
    let mut direct = v1.clone();
    direct.version = Version(5);
    assert!(matches!(
        store.replace_journey(&direct, Version(4)).await,
        Err(StoreError::VersionConflict { .. })
    ));
}

fn ops_patch_title(title: &str) -> cxmap_domain::ops::JourneyPatch {
    cxmap_domain::ops::JourneyPatch {
        title: Some(Title::parse(title).unwrap()),
        ..Default::default()
    }
}

/// Many writers adding touchpoints at once: every addition survives.
pub async fn concurrent_appliers_lose_nothing<S: Store>(store: &S) {
    let (_, _, project) = seeded(store).await;
    let journey = sample_journey(project.id);
    let stage = journey.stages[0].id;
    let before = journey.touchpoints().count();
    store.create_journey(&journey).await.unwrap();
    let writers = (0..8).map(|i| {
        let op = JourneyOp::AddTouchpoint {
            stage_id: stage,
            touchpoint: Touchpoint::named(Title::parse(format!("동시 {i}")).unwrap()),
            index: None,
        };
        async move { apply_ops(store, journey.id, None, &[op], cxmap_domain::now()).await }
    });
    for result in futures::future::join_all(writers).await {
        result.unwrap();
    }
    let after = store.journey(journey.id).await.unwrap();
    assert_eq!(after.touchpoints().count(), before + 8);
    assert_eq!(after.version, Version(8));
}

/// An import that fails (here: duplicate id without replace) leaves the store unchanged; with
/// replace it overwrites.
pub async fn import_is_all_or_nothing<S: Store>(store: &S) {
    let (_, workspace, _) = seeded(store).await;
    let project = Project {
        id: ProjectId::new(),
        workspace_id: workspace.id,
        name: Title::parse("Imported").unwrap(),
        description: Text::default(),
        created_at: cxmap_domain::now(),
    };
    let journey = sample_journey(project.id);
    store
        .import_journey(&project, &journey, false)
        .await
        .unwrap();
    assert_eq!(store.journey(journey.id).await.unwrap(), journey);

    let other_project = Project {
        id: ProjectId::new(),
        ..project.clone()
    };
    let clash = Journey {
        project_id: other_project.id,
        ..journey.clone()
    };
    assert!(
        store
            .import_journey(&other_project, &clash, false)
            .await
            .is_err()
    );
    assert!(matches!(
        store.project(other_project.id).await,
        Err(StoreError::NotFound { .. })
    ));

    let mut changed = journey.clone();
    changed.title = Title::parse("바뀐 제목").unwrap();
    store
        .import_journey(&project, &changed, true)
        .await
        .unwrap();
    assert_eq!(store.journey(journey.id).await.unwrap(), changed);
}

/// Deleting a project removes its journeys and their comments.
pub async fn deleting_a_project_cascades<S: Store>(store: &S) {
    let (_, _, project) = seeded(store).await;
    let journey = sample_journey(project.id);
    store.create_journey(&journey).await.unwrap();
    store.delete_project(project.id).await.unwrap();
    assert!(matches!(
        store.journey(journey.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Comments are added, listed in order, resolved and deleted.
pub async fn comments_crud<S: Store>(store: &S) {
    let (owner, _, project) = seeded(store).await;
    let journey = sample_journey(project.id);
    store.create_journey(&journey).await.unwrap();
    let tp = journey.stages[3].touchpoints[0].id;
    let now = cxmap_domain::now();
    let mut first = Comment {
        mentions: vec![],
        id: CommentId::new(),
        journey_id: journey.id,
        target: ElementRef::Touchpoint(tp),
        author_id: Some(owner.id),
        body: Text::parse("결제 재로그인 확인 필요 @viewer").unwrap(),
        resolved: false,
        created_at: now,
    };
    let second = Comment {
        id: CommentId::new(),
        target: ElementRef::Journey,
        created_at: now + Duration::seconds(1),
        ..first.clone()
    };
    store.add_comment(&first).await.unwrap();
    store.add_comment(&second).await.unwrap();
    first.resolved = true;
    store.update_comment(&first).await.unwrap();
    let all = store.comments(journey.id).await.unwrap();
    assert_eq!(all, vec![first.clone(), second.clone()]);
    store.delete_comment(second.id).await.unwrap();
    assert_eq!(store.comments(journey.id).await.unwrap().len(), 1);
    assert!(matches!(
        store.comment(second.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Every lookup of an unknown id is a `NotFound`, never a panic or another error.
pub async fn unknown_ids_are_not_found<S: Store>(store: &S) {
    let (_, _, project) = seeded(store).await;
    assert!(matches!(
        store.journey(JourneyId::new()).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_journey(JourneyId::new()).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.user(UserId::new()).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.workspace(WorkspaceId::new()).await,
        Err(StoreError::NotFound { .. })
    ));
    let orphan = sample_journey(ProjectId::new());
    assert!(matches!(
        store.create_journey(&orphan).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store.journeys(project.id).await.unwrap().is_empty());
}

fn ev<'a>(case_id: &'a str, activity: &'a str, ts_us: i64) -> NewEvent<'a> {
    NewEvent {
        case_id,
        activity,
        ts_us,
        attributes: None,
    }
}

async fn scan_all<S: Store>(store: &S, workspace: WorkspaceId) -> Vec<(String, String, i64)> {
    let mut seen = Vec::new();
    let n = store
        .scan_events(workspace, &mut |e: StoredEvent<'_>| {
            seen.push((e.case_id.to_owned(), e.activity.to_owned(), e.ts_us))
        })
        .await
        .unwrap();
    assert_eq!(n as usize, seen.len());
    seen
}

/// A batch lands once per idempotency key; scans answer events in the order they were stored.
pub async fn event_batches_are_idempotent_and_scanned_in_order<S: Store>(store: &S) {
    let (_, workspace, _) = seeded(store).await;
    let t0 = 1_700_000_000_000_000;
    let attrs = r#"{"채널":"앱","amount":12000}"#;
    let batch = [
        ev("c2", "검색", t0 + 5),
        NewEvent {
            attributes: Some(attrs),
            ..ev("c1", "광고 클릭", t0 + 1)
        },
        ev("c1", "결제 시작", t0 + 9),
        // Same instant as the previous event of c1: storage order breaks the tie.
        ev("c1", "결제 완료", t0 + 9),
    ];
    let key = BatchKey {
        key: "batch-1",
        fingerprint: "f1",
    };
    let now = cxmap_domain::now();
    let first = store
        .append_events(workspace.id, Some(key), &batch, now)
        .await
        .unwrap();
    assert_eq!((first.events, first.replayed), (4, false));
    let again = store
        .append_events(
            workspace.id,
            Some(key),
            &batch[..1],
            now + Duration::seconds(5),
        )
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.events, 4);
    assert_eq!(again.received_at, now);
    assert_eq!(again.fingerprint, "f1");
    let unkeyed = store
        .append_events(workspace.id, None, &[ev("c0", "리뷰 작성", t0)], now)
        .await
        .unwrap();
    assert_eq!((unkeyed.events, unkeyed.replayed), (1, false));

    let seen = scan_all(store, workspace.id).await;
    let expect: Vec<(String, String, i64)> = [
        ("c2", "검색", t0 + 5),
        ("c1", "광고 클릭", t0 + 1),
        ("c1", "결제 시작", t0 + 9),
        ("c1", "결제 완료", t0 + 9),
        ("c0", "리뷰 작성", t0),
    ]
    .iter()
    .map(|(c, a, t)| (c.to_string(), a.to_string(), *t))
    .collect();
    assert_eq!(seen, expect);
    let counts = store.event_name_counts(workspace.id).await.unwrap();
    assert_eq!(counts.len(), 5);
    assert!(counts.iter().all(|(_, n)| *n == 1));

    // Keys are per workspace: another workspace may use the same key.
    let other = Workspace {
        id: WorkspaceId::new(),
        name: Title::parse("다른 작업 공간").unwrap(),
        created_at: now,
    };
    let owner = store.members(workspace.id).await.unwrap().remove(0).user;
    store.create_workspace(&other, owner.id).await.unwrap();
    let theirs = store
        .append_events(other.id, Some(key), &batch[..2], now)
        .await
        .unwrap();
    assert_eq!((theirs.events, theirs.replayed), (2, false));
    assert_eq!(scan_all(store, other.id).await.len(), 2);
    assert_eq!(scan_all(store, workspace.id).await.len(), 5);
}

/// A case's attribute is the value on its earliest event that has one; other types and other
/// workspaces do not count.
pub async fn case_attributes_come_from_the_earliest_event_with_one<S: Store>(store: &S) {
    let (_, workspace, _) = seeded(store).await;
    let t0 = 1_700_000_000_000_000;
    let with = |attrs, e| NewEvent {
        attributes: Some(attrs),
        ..e
    };
    let batch = [
        // Stored first but later in time: the earlier event's value wins.
        with(r#"{"채널":"웹"}"#, ev("c1", "결제", t0 + 50)),
        with(r#"{"채널":"앱","x":1}"#, ev("c1", "방문", t0 + 10)),
        ev("c1", "검색", t0),
        // Same instant: storage order decides.
        with(r#"{"채널":"매장"}"#, ev("c2", "방문", t0)),
        with(r#"{"채널":"웹"}"#, ev("c2", "검색", t0)),
        // A null, an object and a missing key are no value; a later number is.
        with(r#"{"채널":null}"#, ev("c3", "방문", t0)),
        with(r#"{"채널":{"a":1}}"#, ev("c3", "검색", t0 + 1)),
        with(r#"{"other":"웹"}"#, ev("c3", "검색", t0 + 2)),
        with(r#"{"채널":7}"#, ev("c3", "결제", t0 + 3)),
        with(r#"{"채널":true}"#, ev("c4", "방문", t0)),
        with(r#"{"채널":2.5}"#, ev("c5", "방문", t0)),
        ev("c6", "방문", t0),
        // A key with characters a JSON path would need quoted.
        with(r#"{"a.b \"c\"":"점"}"#, ev("c6", "검색", t0 + 1)),
    ];
    store
        .append_events(workspace.id, None, &batch, cxmap_domain::now())
        .await
        .unwrap();
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(c, a)| (c.to_string(), a.to_string()))
            .collect()
    };
    assert_eq!(
        store.case_attribute(workspace.id, "채널").await.unwrap(),
        pairs(&[
            ("c1", "앱"),
            ("c2", "매장"),
            ("c3", "7"),
            ("c4", "true"),
            ("c5", "2.5")
        ])
    );
    assert_eq!(
        store
            .case_attribute(workspace.id, "a.b \"c\"")
            .await
            .unwrap(),
        pairs(&[("c6", "점")])
    );
    assert!(
        store
            .case_attribute(workspace.id, "없음")
            .await
            .unwrap()
            .is_empty()
    );
    let other = WorkspaceId::new();
    assert!(
        store
            .case_attribute(other, "채널")
            .await
            .unwrap()
            .is_empty()
    );
    // The keys a funnel can be split by: scalar values only, most used first, then by key.
    let keys = |v: &[(&str, u64)]| -> Vec<(String, u64)> {
        v.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    };
    assert_eq!(
        store.attribute_key_counts(workspace.id, 10).await.unwrap(),
        keys(&[("채널", 7), ("a.b \"c\"", 1), ("other", 1), ("x", 1)])
    );
    assert_eq!(
        store.attribute_key_counts(workspace.id, 2).await.unwrap(),
        keys(&[("채널", 7), ("a.b \"c\"", 1)])
    );
    assert!(
        store
            .attribute_key_counts(other, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// An import becomes visible only when committed; dropped, it leaves nothing behind.
pub async fn event_imports_are_all_or_nothing<S: Store>(store: &S) {
    let (_, workspace, _) = seeded(store).await;
    let names: Vec<String> = (0..700).map(|i| format!("case-{i:04}")).collect();
    let events: Vec<NewEvent<'_>> = names
        .iter()
        .enumerate()
        .map(|(i, c)| ev(c, "검색", 1_000_000 * i as i64))
        .collect();
    {
        let mut import = store.begin_event_import(workspace.id).await.unwrap();
        import.append(&events).await.unwrap();
        // Dropped without commit: rolled back.
    }
    assert!(scan_all(store, workspace.id).await.is_empty());

    let mut import = store.begin_event_import(workspace.id).await.unwrap();
    for chunk in events.chunks(300) {
        import.append(chunk).await.unwrap();
    }
    assert_eq!(import.commit().await.unwrap(), 700);
    let seen = scan_all(store, workspace.id).await;
    assert_eq!(seen.len(), 700);
    assert_eq!(
        seen[699],
        ("case-0699".to_owned(), "검색".to_owned(), 699_000_000)
    );
    // A batch after an import still works (the writer was released).
    store
        .append_events(workspace.id, None, &events[..3], cxmap_domain::now())
        .await
        .unwrap();
    assert_eq!(scan_all(store, workspace.id).await.len(), 703);
}

/// Mapping rules round-trip, list oldest first, and go with their journey.
pub async fn mapping_rules_crud<S: Store>(store: &S) {
    let (_, _, project) = seeded(store).await;
    let journey = sample_journey(project.id);
    store.create_journey(&journey).await.unwrap();
    let tps: Vec<TouchpointId> = journey.touchpoints().map(|(_, t)| t.id).collect();
    let now = cxmap_domain::now();
    let mut first = MappingRule {
        id: MappingRuleId::new(),
        journey_id: journey.id,
        kind: MatchKind::Exact,
        pattern: "광고 클릭".into(),
        touchpoint_id: tps[0],
        created_at: now,
    };
    let second = MappingRule {
        id: MappingRuleId::new(),
        kind: MatchKind::Regex,
        pattern: "^결제 (시작|완료)$".into(),
        touchpoint_id: tps[4],
        created_at: now + Duration::seconds(1),
        ..first.clone()
    };
    store.add_mapping_rule(&second).await.unwrap();
    store.add_mapping_rule(&first).await.unwrap();
    assert_eq!(
        store.mapping_rules(journey.id).await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    first.kind = MatchKind::Prefix;
    first.pattern = "광고".into();
    first.touchpoint_id = tps[1];
    store.update_mapping_rule(&first).await.unwrap();
    assert_eq!(store.mapping_rule(first.id).await.unwrap(), first);
    store.delete_mapping_rule(second.id).await.unwrap();
    assert!(matches!(
        store.delete_mapping_rule(second.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.mapping_rule(second.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let orphan = MappingRule {
        id: MappingRuleId::new(),
        journey_id: JourneyId::new(),
        ..first.clone()
    };
    assert!(matches!(
        store.add_mapping_rule(&orphan).await,
        Err(StoreError::NotFound { .. })
    ));
    store.delete_journey(journey.id).await.unwrap();
    assert!(store.mapping_rules(journey.id).await.unwrap().is_empty());
}

fn sample_link(workspace: WorkspaceId, slug: &str, journey: Option<&Journey>) -> Link {
    let now = cxmap_domain::now();
    Link {
        id: LinkId::new(),
        slug: Slug::parse(slug).unwrap(),
        workspace_id: workspace,
        journey_id: journey.map(|j| j.id),
        touchpoint_id: journey.map(|j| j.stages[0].touchpoints[0].id),
        target: "https://shop.example.com/이벤트?a=1".into(),
        utm: Utm {
            source: Some("qr-poster".into()),
            campaign: Some("봄 세일".into()),
            ..Utm::default()
        },
        password_hash: None,
        expires_at: None,
        disabled: false,
        created_by: None,
        created_at: now,
        updated_at: now,
    }
}

fn click(link: LinkId, at: chrono::DateTime<chrono::Utc>, bot: bool, visitor: &str) -> Click {
    Click {
        id: uuid::Uuid::now_v7(),
        link_id: link,
        at,
        source: if bot {
            ClickSource::Link
        } else {
            ClickSource::Qr
        },
        bot,
        device: if bot { "bot" } else { "mobile" }.into(),
        browser: "Safari".into(),
        referrer_host: (!bot).then(|| "m.search.naver.com".to_owned()),
        country: Some("KR".into()),
        visitor: Some(visitor.into()),
    }
}

/// Links are created with unique slugs, found by slug, listed and updated.
pub async fn links_crud_and_unique_slugs<S: Store>(store: &S) {
    let (owner, workspace, project) = seeded(store).await;
    let journey = sample_journey(project.id);
    store.create_journey(&journey).await.unwrap();
    let mut link = sample_link(workspace.id, "spring-sale", Some(&journey));
    link.created_by = Some(owner.id);
    store.create_link(&link).await.unwrap();
    let again = Link {
        id: LinkId::new(),
        ..link.clone()
    };
    assert!(matches!(
        store.create_link(&again).await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(store.link_by_slug(&link.slug).await.unwrap(), link);
    assert!(matches!(
        store.link_by_slug(&Slug::parse("nope").unwrap()).await,
        Err(StoreError::NotFound { .. })
    ));
    let plain = sample_link(workspace.id, "plain", None);
    store.create_link(&plain).await.unwrap();
    let all = store.links(workspace.id).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        store.journey_links(journey.id).await.unwrap(),
        vec![link.clone()]
    );

    link.disabled = true;
    link.target = "https://example.org/".into();
    link.expires_at = Some(link.created_at + Duration::days(3));
    link.password_hash = Some("$argon2id$fake".into());
    link.updated_at = link.created_at + Duration::seconds(5);
    store.update_link(&link).await.unwrap();
    assert_eq!(store.link_by_slug(&link.slug).await.unwrap(), link);
    let ghost = sample_link(workspace.id, "ghost", None);
    assert!(matches!(
        store.update_link(&ghost).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// A batch lands whole; replaying it stores nothing twice; clicks of unknown links are
/// skipped; counts split bots from people along every dimension.
pub async fn clicks_are_counted_once_by_every_dimension<S: Store>(store: &S) {
    let (_, workspace, _) = seeded(store).await;
    let link = sample_link(workspace.id, "counted", None);
    store.create_link(&link).await.unwrap();
    let now = cxmap_domain::now();
    let mut batch = vec![
        click(link.id, now, false, "v1"),
        click(link.id, now, false, "v1"),
        click(link.id, now, false, "v2"),
        click(link.id, now, true, "b1"),
    ];
    store.record_clicks(&batch).await.unwrap();
    // A replay of the same clicks (after a crash) plus one for a link that does not exist.
    batch.push(click(LinkId::new(), now, false, "v3"));
    store.record_clicks(&batch).await.unwrap();
    store.record_clicks(&[]).await.unwrap();

    let counts = store
        .click_counts(ClickScope::Link(link.id), None)
        .await
        .unwrap();
    let total: i64 = counts.iter().map(|c| c.count).sum();
    assert_eq!(total, 4);
    let human: i64 = counts.iter().filter(|c| !c.bot).map(|c| c.count).sum();
    assert_eq!(human, 3);
    let people = counts.iter().find(|c| !c.bot).unwrap();
    assert_eq!(people.day, now.date_naive());
    assert_eq!(people.source, ClickSource::Qr);
    assert_eq!(people.device, "mobile");
    assert_eq!(people.referrer_host.as_deref(), Some("m.search.naver.com"));
    assert_eq!(people.country.as_deref(), Some("KR"));
    let bots = counts.iter().find(|c| c.bot).unwrap();
    assert_eq!(bots.referrer_host, None);
    assert_eq!(
        store
            .unique_visitors(ClickScope::Link(link.id), None)
            .await
            .unwrap(),
        2
    );
}

/// Journey scope covers every link on the journey and nothing else; `since` cuts older clicks.
pub async fn journey_scope_and_since_filter_clicks<S: Store>(store: &S) {
    let (_, workspace, project) = seeded(store).await;
    let journey = sample_journey(project.id);
    store.create_journey(&journey).await.unwrap();
    let on_journey = sample_link(workspace.id, "on-journey", Some(&journey));
    let elsewhere = sample_link(workspace.id, "elsewhere", None);
    store.create_link(&on_journey).await.unwrap();
    store.create_link(&elsewhere).await.unwrap();
    let now = cxmap_domain::now();
    let old = now - Duration::days(40);
    store
        .record_clicks(&[
            click(on_journey.id, now, false, "a"),
            click(on_journey.id, old, false, "b"),
            click(elsewhere.id, now, false, "c"),
        ])
        .await
        .unwrap();
    let sum = |counts: Vec<crate::ClickCount>| counts.iter().map(|c| c.count).sum::<i64>();
    let scope = ClickScope::Journey(journey.id);
    assert_eq!(sum(store.click_counts(scope, None).await.unwrap()), 2);
    let recent = store
        .click_counts(scope, Some(now - Duration::days(30)))
        .await
        .unwrap();
    assert_eq!(sum(recent.clone()), 1);
    assert_eq!(recent[0].link_id, on_journey.id);
    let days: std::collections::BTreeSet<_> = store
        .click_counts(scope, None)
        .await
        .unwrap()
        .iter()
        .map(|c| c.day)
        .collect();
    assert_eq!(days.len(), 2);
    assert_eq!(store.unique_visitors(scope, None).await.unwrap(), 2);
    assert_eq!(
        store
            .unique_visitors(scope, Some(now - Duration::days(30)))
            .await
            .unwrap(),
        1
    );
}

/// The first salt offered for a day wins; later offers get it back.
pub async fn visitor_salt_is_created_once<S: Store>(store: &S) {
    let day = cxmap_domain::now().date_naive();
    let first = store.visitor_salt(day, &[1; 32]).await.unwrap();
    assert_eq!(first, vec![1; 32]);
    assert_eq!(
        store.visitor_salt(day, &[2; 32]).await.unwrap(),
        vec![1; 32]
    );
    let next = day.succ_opt().unwrap();
    assert_eq!(
        store.visitor_salt(next, &[3; 32]).await.unwrap(),
        vec![3; 32]
    );
}
