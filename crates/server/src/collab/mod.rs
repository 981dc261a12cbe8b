//! Live co-editing: a server-authoritative, ordered op log per journey.
//!
//! Every change to a journey — a WebSocket batch or a REST edit — goes to the journey's
//! [`Room`], whose single writer task applies batches in arrival order (each op writes only the
//! properties it names: per-property last-writer-wins) and commits them, grouped, together with
//! their op-log rows. Only then are they acknowledged and broadcast, in version order, to every
//! socket of the room. Other server processes on the same PostgreSQL hear of each commit through
//! the store's change feed and broadcast the missing versions from the op log to their sockets.
//! See `docs/collab.md` for the wire protocol and ARCHITECTURE.md for why not a CRDT.

pub mod live;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use cxmap_domain::{ClientId, Journey, JourneyId, JourneyOp, UserId, Version};
use cxmap_store::{OpLogEntry, Store, StoreError};
use futures::StreamExt;
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::error::{ApiError, ApiResult};

/// How many batches one commit may group.
const GROUP_LIMIT: usize = 128;
/// How many events a slow socket may fall behind before it is re-synced with a snapshot.
const FANOUT_CAPACITY: usize = 4096;
/// How often a commit is retried when another process committed first.
const CONFLICT_RETRIES: usize = 16;
/// The most op-log entries fetched at once when catching up.
const CATCH_UP_LIMIT: i64 = 1000;

/// Someone taking part in a room, as other participants see them.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Peer {
    /// The connection's id.
    pub session: String,
    /// The user.
    pub user_id: UserId,
    /// Their display name.
    pub name: String,
    /// Their colour (CSS hex), stable per user.
    pub color: String,
    /// The element they have selected, if any.
    pub selection: Option<String>,
}

/// What a room tells its sockets, in order.
#[derive(Clone, Debug)]
pub enum RoomEvent {
    /// A batch was committed.
    Committed(Arc<OpLogEntry>),
    /// The journey changed outside the op log (an import replaced it): take this snapshot.
    Reset(Arc<Journey>),
    /// Who is here changed.
    Presence(Arc<Vec<Peer>>),
}

/// A batch of operations to commit.
pub struct Submission {
    /// The sending client and its sequence number (the replay key).
    pub client_id: ClientId,
    /// See `client_id`.
    pub client_seq: i64,
    /// Who sends it.
    pub user_id: UserId,
    /// For REST edits with `If-Match`: the batch must apply to exactly this version.
    pub required_base: Option<Version>,
    /// The operations.
    pub ops: Vec<JourneyOp>,
    /// Whether the reply should carry the journey as this batch left it.
    pub want_journey: bool,
    /// Where the outcome goes.
    pub reply: oneshot::Sender<Outcome>,
}

/// What became of a submission.
#[derive(Debug)]
pub enum Outcome {
    /// Committed as `version` (now or, for a replay, earlier).
    Applied {
        /// The version it produced.
        version: Version,
        /// The journey right after it, when asked for.
        journey: Option<Box<Journey>>,
        /// True when this was a replay of a batch committed before.
        replay: bool,
    },
    /// Refused; nothing of it was applied.
    Rejected(ApiError),
}

/// All rooms of this process.
pub struct Hub {
    store: Arc<dyn Store>,
    rooms: Mutex<HashMap<JourneyId, Weak<Room>>>,
}

/// One journey's live state in this process. Dropped when its last user leaves.
pub struct Room {
    id: JourneyId,
    submit: mpsc::Sender<Submission>,
    fanout: broadcast::Sender<RoomEvent>,
    delivery: Arc<Delivery>,
    presence: Mutex<Vec<Peer>>,
}

/// Broadcasts committed versions exactly once each, in order, whoever learns of them first
/// (this process's writer or the change feed).
struct Delivery {
    journey: JourneyId,
    store: Arc<dyn Store>,
    fanout: broadcast::Sender<RoomEvent>,
    delivered: tokio::sync::Mutex<Version>,
}

impl Hub {
    /// A hub over `store`. Call [`Hub::follow_other_processes`] once inside a runtime.
    pub fn new(store: Arc<dyn Store>) -> Arc<Self> {
        Arc::new(Self {
            store,
            rooms: Mutex::new(HashMap::new()),
        })
    }

    /// Forwards commits made by other processes (PostgreSQL only) to this process's rooms.
    pub async fn follow_other_processes(self: &Arc<Self>) -> ApiResult<()> {
        let Some(mut feed) = self.store.change_feed().await? else {
            return Ok(());
        };
        let hub = Arc::downgrade(self);
        tokio::spawn(async move {
            while let Some((journey, version)) = feed.next().await {
                let Some(hub) = hub.upgrade() else { break };
                if let Some(room) = hub.existing(journey) {
                    room.delivery.catch_up_to(version).await;
                }
            }
        });
        Ok(())
    }

    fn existing(&self, id: JourneyId) -> Option<Arc<Room>> {
        self.rooms.lock().ok()?.get(&id).and_then(Weak::upgrade)
    }

    /// The room of a journey, opened if needed.
    pub async fn room(&self, id: JourneyId) -> ApiResult<Arc<Room>> {
        if let Some(room) = self.existing(id) {
            return Ok(room);
        }
        let journey = self.store.journey(id).await?;
        let mut rooms = self
            .rooms
            .lock()
            .map_err(|_| ApiError::internal("room registry poisoned"))?;
        if let Some(room) = rooms.get(&id).and_then(Weak::upgrade) {
            return Ok(room);
        }
        rooms.retain(|_, room| room.strong_count() > 0);
        let (fanout, _) = broadcast::channel(FANOUT_CAPACITY);
        let delivery = Arc::new(Delivery {
            journey: id,
            store: self.store.clone(),
            fanout: fanout.clone(),
            delivered: tokio::sync::Mutex::new(journey.version),
        });
        let (submit, inbox) = mpsc::channel(1024);
        tokio::spawn(writer(self.store.clone(), journey, inbox, delivery.clone()));
        let room = Arc::new(Room {
            id,
            submit,
            fanout,
            delivery,
            presence: Mutex::new(Vec::new()),
        });
        rooms.insert(id, Arc::downgrade(&room));
        Ok(room)
    }

    /// Tells the sockets of a journey that it was replaced wholesale (e.g. by an import).
    pub async fn reset(&self, journey: &Journey) {
        if let Some(room) = self.existing(journey.id) {
            let mut delivered = room.delivery.delivered.lock().await;
            *delivered = journey.version;
            let _ = room
                .fanout
                .send(RoomEvent::Reset(Arc::new(journey.clone())));
        }
    }
}

impl Room {
    /// The journey.
    pub fn id(&self) -> JourneyId {
        self.id
    }

    /// A receiver of everything that happens from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<RoomEvent> {
        self.fanout.subscribe()
    }

    /// Hands a batch to the room's writer and waits for its outcome.
    pub async fn submit(&self, mut submission: Submission) -> Outcome {
        let (reply, outcome) = oneshot::channel();
        submission.reply = reply;
        if self.submit.send(submission).await.is_err() {
            return Outcome::Rejected(ApiError::internal("the room's writer stopped"));
        }
        outcome
            .await
            .unwrap_or_else(|_| Outcome::Rejected(ApiError::internal("the room's writer stopped")))
    }

    /// Adds or updates a participant and tells everyone.
    pub fn upsert_peer(&self, peer: Peer) {
        self.change_presence(
            |peers| match peers.iter_mut().find(|p| p.session == peer.session) {
                Some(existing) => *existing = peer,
                None => peers.push(peer),
            },
        );
    }

    /// Removes a participant and tells everyone.
    pub fn remove_peer(&self, session: &str) {
        self.change_presence(|peers| peers.retain(|p| p.session != session));
    }

    /// Everyone here now.
    pub fn peers(&self) -> Vec<Peer> {
        self.presence.lock().map(|p| p.clone()).unwrap_or_default()
    }

    fn change_presence(&self, change: impl FnOnce(&mut Vec<Peer>)) {
        let Ok(mut peers) = self.presence.lock() else {
            return;
        };
        change(&mut peers);
        let _ = self
            .fanout
            .send(RoomEvent::Presence(Arc::new(peers.clone())));
    }
}

impl Delivery {
    /// Broadcasts committed entries this writer produced, fetching any gap before them.
    async fn deliver(&self, entries: Vec<OpLogEntry>) {
        let mut delivered = self.delivered.lock().await;
        for entry in entries {
            if entry.version <= *delivered {
                continue;
            }
            if entry.version.0 > delivered.0 + 1 {
                self.fetch_up_to(&mut delivered, Version(entry.version.0 - 1))
                    .await;
            }
            if entry.version.0 == delivered.0 + 1 {
                *delivered = entry.version;
                let _ = self.fanout.send(RoomEvent::Committed(Arc::new(entry)));
            }
        }
    }

    /// Broadcasts every version up to `target` that has not been broadcast yet.
    async fn catch_up_to(&self, target: Version) {
        let mut delivered = self.delivered.lock().await;
        self.fetch_up_to(&mut delivered, target).await;
    }

    async fn fetch_up_to(&self, delivered: &mut Version, target: Version) {
        while *delivered < target {
            let entries = match self
                .store
                .ops_since(self.journey, *delivered, CATCH_UP_LIMIT)
                .await
            {
                Ok(entries) => entries,
                Err(e) => {
                    tracing::warn!(journey = %self.journey, error = %e, "cannot catch up the op log");
                    return;
                }
            };
            let Some(last) = entries.last().map(|e| e.version) else {
                return;
            };
            for entry in entries {
                if entry.version.0 == delivered.0 + 1 {
                    *delivered = entry.version;
                    let _ = self.fanout.send(RoomEvent::Committed(Arc::new(entry)));
                }
            }
            if last < target && last == *delivered {
                continue;
            }
            return;
        }
    }
}

/// The room's single writer: takes every batch waiting, applies them in order to its copy of
/// the journey, commits them in one transaction, then answers and broadcasts.
async fn writer(
    store: Arc<dyn Store>,
    journey: Journey,
    mut inbox: mpsc::Receiver<Submission>,
    delivery: Arc<Delivery>,
) {
    let mut cached = Some(journey);
    let mut last_seq: HashMap<ClientId, i64> = HashMap::new();
    while let Some(first) = inbox.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP_LIMIT {
            match inbox.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        cached = commit_group(&*store, cached, group, &mut last_seq, &delivery).await;
    }
}

/// A submission on its way through one commit attempt.
struct Accepted {
    submission: Submission,
    version: Version,
    journey: Option<Box<Journey>>,
}

async fn commit_group(
    store: &dyn Store,
    mut cached: Option<Journey>,
    mut group: Vec<Submission>,
    last_seq: &mut HashMap<ClientId, i64>,
    delivery: &Delivery,
) -> Option<Journey> {
    for _ in 0..CONFLICT_RETRIES {
        let base = match cached.take() {
            Some(journey) => journey,
            None => match store.journey(delivery.journey).await {
                Ok(journey) => journey,
                Err(e) => {
                    reject_all(group, &e.into());
                    return None;
                }
            },
        };
        let now = cxmap_domain::now();
        let mut next = base.clone();
        let mut accepted: Vec<Accepted> = Vec::new();
        let mut waiting = Vec::new();
        for submission in group {
            let key = (submission.client_id, submission.client_seq);
            // A replay of a batch in this very group waits for the group's outcome.
            if accepted
                .iter()
                .any(|a| (a.submission.client_id, a.submission.client_seq) == key)
            {
                waiting.push(submission);
                continue;
            }
            if let Some(version) = committed_before(store, base.id, last_seq, &submission).await {
                let _ = submission.reply.send(Outcome::Applied {
                    version,
                    journey: None,
                    replay: true,
                });
                continue;
            }
            if let Some(required) = submission.required_base
                && required != next.version
            {
                let conflict = StoreError::VersionConflict {
                    expected: required,
                    actual: next.version,
                };
                let _ = submission.reply.send(Outcome::Rejected(conflict.into()));
                continue;
            }
            match next.apply(&submission.ops, now) {
                Ok(()) => accepted.push(Accepted {
                    version: next.version,
                    journey: submission.want_journey.then(|| Box::new(next.clone())),
                    submission,
                }),
                Err(e) => {
                    let _ = submission.reply.send(Outcome::Rejected(e.into()));
                }
            }
        }
        if accepted.is_empty() {
            answer_replays(waiting, &[]);
            return Some(base);
        }
        let entries: Vec<OpLogEntry> = accepted
            .iter()
            .map(|a| OpLogEntry {
                journey_id: base.id,
                version: a.version,
                client_id: a.submission.client_id,
                client_seq: a.submission.client_seq,
                user_id: a.submission.user_id,
                ops: a.submission.ops.clone(),
                created_at: now,
            })
            .collect();
        match store.commit_ops(&next, base.version, &entries).await {
            Ok(()) => {
                for a in &accepted {
                    let seq = last_seq.entry(a.submission.client_id).or_insert(0);
                    *seq = (*seq).max(a.submission.client_seq);
                }
                answer_replays(waiting, &accepted);
                delivery.deliver(entries).await;
                for a in accepted {
                    let _ = a.submission.reply.send(Outcome::Applied {
                        version: a.version,
                        journey: a.journey,
                        replay: false,
                    });
                }
                return Some(next);
            }
            // Another process committed first, or a replay raced its original: start over
            // from the stored journey, after broadcasting what the others committed.
            Err(StoreError::VersionConflict { actual, .. }) => {
                delivery.catch_up_to(actual).await;
                group = regroup(accepted, waiting);
            }
            Err(StoreError::AlreadyExists(_)) => {
                group = regroup(accepted, waiting);
            }
            Err(e) => {
                let error: ApiError = e.into();
                reject_all(regroup(accepted, waiting), &error);
                return None;
            }
        }
    }
    reject_all(
        group,
        &ApiError::internal("the journey kept changing under this commit"),
    );
    None
}

fn regroup(accepted: Vec<Accepted>, waiting: Vec<Submission>) -> Vec<Submission> {
    accepted
        .into_iter()
        .map(|a| a.submission)
        .chain(waiting)
        .collect()
}

/// The version an earlier commit gave this batch, if it was committed before.
async fn committed_before(
    store: &dyn Store,
    journey: JourneyId,
    last_seq: &HashMap<ClientId, i64>,
    submission: &Submission,
) -> Option<Version> {
    // A client's sequence numbers only grow: a number above the last one seen is new.
    if last_seq
        .get(&submission.client_id)
        .is_some_and(|&last| submission.client_seq > last)
    {
        return None;
    }
    store
        .committed_version(journey, submission.client_id, submission.client_seq)
        .await
        .ok()
        .flatten()
}

fn answer_replays(waiting: Vec<Submission>, accepted: &[Accepted]) {
    for submission in waiting {
        let original = accepted.iter().find(|a| {
            (a.submission.client_id, a.submission.client_seq)
                == (submission.client_id, submission.client_seq)
        });
        let outcome = match original {
            Some(a) => Outcome::Applied {
                version: a.version,
                journey: None,
                replay: true,
            },
            None => Outcome::Rejected(ApiError::conflict("the original of this batch was refused")),
        };
        let _ = submission.reply.send(outcome);
    }
}

fn reject_all(group: Vec<Submission>, error: &ApiError) {
    for submission in group {
        let _ = submission.reply.send(Outcome::Rejected(error.clone()));
    }
}

/// Applies a REST edit through the journey's room, so that live sockets see it.
pub async fn commit(
    hub: &Hub,
    journey: JourneyId,
    user: UserId,
    required_base: Option<Version>,
    ops: Vec<JourneyOp>,
) -> ApiResult<Journey> {
    let room = hub.room(journey).await?;
    let (reply, _) = oneshot::channel();
    let outcome = room
        .submit(Submission {
            client_id: ClientId::new(),
            client_seq: 1,
            user_id: user,
            required_base,
            ops,
            want_journey: true,
            reply,
        })
        .await;
    match outcome {
        Outcome::Applied {
            journey: Some(journey),
            ..
        } => Ok(*journey),
        Outcome::Applied { .. } => Ok(hub.store.journey(journey).await?),
        Outcome::Rejected(e) => Err(e),
    }
}
