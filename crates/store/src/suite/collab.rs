//! Sessions, share links, mentions and the co-editing op log.

use chrono::Duration;
use cxmap_domain::*;

use super::{sample_journey, seeded};
use crate::{NewToken, OpLogEntry, Session, Share, Store, StoreError, TokenHash, User};

async fn second_user<S: Store>(store: &S, email: &str) -> User {
    let user = User {
        id: UserId::new(),
        email: Email::parse(email).unwrap(),
        name: "게스트".into(),
        created_at: now(),
    };
    store.create_user(&user, None).await.unwrap();
    user
}

/// A session resolves to its user until it expires or is deleted.
pub async fn sessions_expire_and_end<S: Store>(store: &S) {
    let (owner, _, _) = seeded(store).await;
    let secret = NewToken::generate();
    let t0 = now();
    let session = Session {
        hash: secret.hash.clone(),
        user_id: owner.id,
        csrf: "csrf-secret".into(),
        created_at: t0,
        expires_at: t0 + Duration::hours(1),
    };
    store.create_session(&session).await.unwrap();
    let (found, user) = store.session(&secret.hash, t0).await.unwrap().unwrap();
    assert_eq!(found, session);
    assert_eq!(user, owner);
    assert!(
        store
            .session(&secret.hash, t0 + Duration::hours(2))
            .await
            .unwrap()
            .is_none(),
        "an expired session must not resolve"
    );
    assert!(
        store
            .session(&TokenHash::of("other"), t0)
            .await
            .unwrap()
            .is_none()
    );
    store.delete_session(&secret.hash).await.unwrap();
    assert!(store.session(&secret.hash, t0).await.unwrap().is_none());
    store.delete_session(&secret.hash).await.unwrap();
}

/// A share link grants its role on its journey only while it is neither revoked nor expired.
pub async fn shares_grant_until_revoked_or_expired<S: Store>(store: &S) {
    let (owner, _, project) = seeded(store).await;
    let journey = sample_journey(project.id);
    store.create_journey(&journey).await.unwrap();
    let other = sample_journey(project.id);
    let other = Journey {
        id: JourneyId::new(),
        ..other
    };
    store.create_journey(&other).await.unwrap();
    let guest = second_user(store, "guest@example.com").await;
    let t0 = now();
    let make = |role, expires_at| Share {
        id: ShareId::new(),
        journey_id: journey.id,
        role,
        token_hash: NewToken::generate().hash,
        created_by: owner.id,
        created_at: t0,
        expires_at,
        revoked_at: None,
    };
    let viewer = make(Role::Viewer, None);
    let editor = make(Role::Editor, Some(t0 + Duration::days(1)));
    store.create_share(&viewer).await.unwrap();
    store.create_share(&editor).await.unwrap();
    assert_eq!(
        store.share_by_token(&viewer.token_hash).await.unwrap(),
        Some(viewer.clone())
    );
    assert_eq!(store.shares(journey.id).await.unwrap().len(), 2);
    assert_eq!(
        store.share_role(journey.id, guest.id, t0).await.unwrap(),
        None
    );

    store.grant_share(viewer.id, guest.id).await.unwrap();
    store.grant_share(viewer.id, guest.id).await.unwrap();
    assert_eq!(
        store.share_role(journey.id, guest.id, t0).await.unwrap(),
        Some(Role::Viewer)
    );
    assert_eq!(
        store.share_role(other.id, guest.id, t0).await.unwrap(),
        None
    );

    store.grant_share(editor.id, guest.id).await.unwrap();
    assert_eq!(
        store.share_role(journey.id, guest.id, t0).await.unwrap(),
        Some(Role::Editor),
        "the strongest live grant wins"
    );
    assert_eq!(
        store
            .share_role(journey.id, guest.id, t0 + Duration::days(2))
            .await
            .unwrap(),
        Some(Role::Viewer),
        "an expired link grants nothing"
    );

    store.revoke_share(journey.id, viewer.id, t0).await.unwrap();
    store.revoke_share(journey.id, editor.id, t0).await.unwrap();
    assert_eq!(
        store.share_role(journey.id, guest.id, t0).await.unwrap(),
        None
    );
    let listed = store.shares(journey.id).await.unwrap();
    assert!(listed.iter().all(|s| !s.is_live(t0)));
    assert!(matches!(
        store.revoke_share(other.id, viewer.id, t0).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Mentions are found from the mentioned user's side, newest first.
pub async fn mentions_are_indexed<S: Store>(store: &S) {
    let (owner, _, project) = seeded(store).await;
    let journey = sample_journey(project.id);
    store.create_journey(&journey).await.unwrap();
    let mate = second_user(store, "mate@example.com").await;
    let mut first = Comment {
        id: CommentId::new(),
        journey_id: journey.id,
        target: ElementRef::Journey,
        author_id: Some(owner.id),
        body: Text::parse("@mate 봐 주세요").unwrap(),
        resolved: false,
        mentions: vec![mate.id],
        created_at: now(),
    };
    store.add_comment(&first).await.unwrap();
    store.set_mentions(&first).await.unwrap();
    let second = Comment {
        id: CommentId::new(),
        created_at: first.created_at + Duration::seconds(1),
        ..first.clone()
    };
    store.add_comment(&second).await.unwrap();
    store.set_mentions(&second).await.unwrap();
    let found = store.mentions_of(mate.id, 10).await.unwrap();
    assert_eq!(found, vec![second.clone(), first.clone()]);
    assert!(store.mentions_of(owner.id, 10).await.unwrap().is_empty());

    first.mentions.clear();
    store.update_comment(&first).await.unwrap();
    store.set_mentions(&first).await.unwrap();
    assert_eq!(
        store.mentions_of(mate.id, 10).await.unwrap(),
        vec![second.clone()]
    );
    store.delete_comment(second.id).await.unwrap();
    assert!(store.mentions_of(mate.id, 10).await.unwrap().is_empty());
}

/// A commit replaces the journey and appends its op-log rows together, planned against the
/// journey as stored; a replayed batch or a plan that fails validation changes nothing.
pub async fn op_log_commits_atomically<S: Store>(store: &S) {
    let (owner, _, project) = seeded(store).await;
    let original = sample_journey(project.id);
    store.create_journey(&original).await.unwrap();
    let client = ClientId::new();
    let rename = |title: &str| {
        vec![JourneyOp::UpdateJourney {
            patch: ops::JourneyPatch {
                title: Some(Title::parse(title).unwrap()),
                ..Default::default()
            },
        }]
    };
    // Applies `batches` (seq, title) to whatever is stored, like the co-editing writer does.
    let commit = |batches: Vec<(i64, &'static str)>| {
        let mut plan = move |mut journey: Journey| {
            let mut entries = Vec::new();
            for (seq, title) in &batches {
                journey.apply(&rename(title), now()).unwrap();
                entries.push(OpLogEntry {
                    journey_id: journey.id,
                    version: journey.version,
                    client_id: client,
                    client_seq: *seq,
                    user_id: owner.id,
                    ops: rename(title),
                    created_at: journey.updated_at,
                });
            }
            Some((journey, entries))
        };
        async move { store.commit_with(original.id, &mut plan).await }
    };

    let returned = commit(vec![(1, "하나"), (2, "둘")]).await.unwrap();
    let stored = store.journey(original.id).await.unwrap();
    assert_eq!(stored.title.as_str(), "둘");
    assert_eq!(stored.version.0, original.version.0 + 2);
    let log = store
        .ops_since(original.id, original.version, 100)
        .await
        .unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(returned, log, "the commit returns the rows it stored");
    assert_eq!(
        (log[0].client_seq, log[0].version.0),
        (1, original.version.0 + 1)
    );
    assert_eq!(log[1].ops, rename("둘"));
    assert_eq!(
        store
            .ops_since(original.id, log[0].version, 100)
            .await
            .unwrap(),
        vec![log[1].clone()]
    );
    assert_eq!(
        store
            .committed_version(original.id, client, 2)
            .await
            .unwrap(),
        Some(stored.version)
    );
    assert_eq!(
        store
            .committed_version(original.id, client, 3)
            .await
            .unwrap(),
        None
    );

    // A replayed batch: refused as a whole, the journey keeps its version.
    let err = commit(vec![(3, "셋"), (2, "둘")]).await.unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists(_)), "{err:?}");
    assert_eq!(store.journey(original.id).await.unwrap(), stored);
    assert_eq!(
        store
            .committed_version(original.id, client, 3)
            .await
            .unwrap(),
        None
    );

    // A plan that commits nothing.
    assert!(
        store
            .commit_with(original.id, &mut |_| None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.journey(original.id).await.unwrap(), stored);
    assert!(matches!(
        store.commit_with(JourneyId::new(), &mut |_| None).await,
        Err(StoreError::NotFound { .. })
    ));

    // Deleting the journey deletes its log.
    store.delete_journey(original.id).await.unwrap();
    assert!(
        store
            .ops_since(original.id, Version(0), 100)
            .await
            .unwrap()
            .is_empty()
    );
}
