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
}

/// A submission waiting in the writer's inbox, with where its outcome goes.
struct Pending {
    submission: Submission,
    reply: oneshot::Sender<Outcome>,
}

impl Pending {
    fn answer(self, outcome: Outcome) {
        // A sender that went away (a closed socket) needs no answer.
        let _ = self.reply.send(outcome);
    }
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
    submit: mpsc::Sender<Pending>,
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
            while let Some(change) = feed.next().await {
                let Some(hub) = hub.upgrade() else { break };
                if let Some(room) = hub.existing(change.journey) {
                    if change.entries.is_empty() {
                        room.delivery.catch_up_to(change.version).await;
                    } else {
                        room.delivery.deliver(change.entries).await;
                    }
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
            fanout,
            delivered: tokio::sync::Mutex::new(journey.version),
        });
        let (submit, inbox) = mpsc::channel(1024);
        tokio::spawn(writer(self.store.clone(), inbox, delivery.clone()));
        let room = Arc::new(Room {
            submit,
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
                .delivery
                .fanout
                .send(RoomEvent::Reset(Arc::new(journey.clone())));
        }
    }
}

impl Room {
    /// The journey.
    pub fn id(&self) -> JourneyId {
        self.delivery.journey
    }

    /// A receiver of everything that happens from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<RoomEvent> {
        self.delivery.fanout.subscribe()
    }

    /// Hands a batch to the room's writer and waits for its outcome.
    pub async fn submit(&self, submission: Submission) -> Outcome {
        let (reply, outcome) = oneshot::channel();
        if self
            .submit
            .send(Pending { submission, reply })
            .await
            .is_err()
        {
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
            .delivery
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

/// The room's single writer: takes every batch waiting and commits them together, under the
/// journey's write lock, then answers and broadcasts.
async fn writer(
    store: Arc<dyn Store>,
    mut inbox: mpsc::Receiver<Pending>,
    delivery: Arc<Delivery>,
) {
    let mut last_seq: HashMap<ClientId, i64> = HashMap::new();
    while let Some(first) = inbox.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP_LIMIT {
            match inbox.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        commit_group(&*store, group, &mut last_seq, &delivery).await;
    }
}

/// What became of one submission when the group was planned against the current journey.
enum Planned {
    /// Applied as this version (the journey right after it, when asked for).
    Accepted(Version, Option<Box<Journey>>),
    /// A replay of a batch earlier in the same group.
    ReplayOf(usize),
    /// Refused.
    Rejected(ApiError),
}

/// Applies the group's batches in order to `journey`; the op-log rows of the accepted ones.
fn plan(
    mut journey: Journey,
    group: &[&Submission],
    now: chrono::DateTime<chrono::Utc>,
    outcomes: &mut Vec<Planned>,
) -> Option<(Journey, Vec<OpLogEntry>)> {
    outcomes.clear();
    let mut entries: Vec<OpLogEntry> = Vec::new();
    for (index, submission) in group.iter().enumerate() {
        let key = (submission.client_id, submission.client_seq);
        if let Some(first) = group[..index]
            .iter()
            .position(|s| (s.client_id, s.client_seq) == key)
        {
            outcomes.push(Planned::ReplayOf(first));
            continue;
        }
        if let Some(required) = submission.required_base
            && required != journey.version
        {
            let conflict = StoreError::VersionConflict {
                expected: required,
                actual: journey.version,
            };
            outcomes.push(Planned::Rejected(conflict.into()));
            continue;
        }
        match journey.apply(&submission.ops, now) {
            Ok(()) => {
                entries.push(OpLogEntry {
                    journey_id: journey.id,
                    version: journey.version,
                    client_id: submission.client_id,
                    client_seq: submission.client_seq,
                    user_id: submission.user_id,
                    ops: submission.ops.clone(),
                    created_at: now,
                });
                let copy = submission.want_journey.then(|| Box::new(journey.clone()));
                outcomes.push(Planned::Accepted(journey.version, copy));
            }
            Err(e) => outcomes.push(Planned::Rejected(e.into())),
        }
    }
    (!entries.is_empty()).then_some((journey, entries))
}

async fn commit_group(
    store: &dyn Store,
    mut group: Vec<Pending>,
    last_seq: &mut HashMap<ClientId, i64>,
    delivery: &Delivery,
) {
    // A replay committed by another process after our check fails the commit as a whole: look
    // again (the replay is then found and answered) and commit the rest.
    for _ in 0..3 {
        match try_commit_group(store, group, last_seq, delivery).await {
            Some(again) => group = again,
            None => return,
        }
    }
}

/// One attempt; gives the group back when a replayed batch made the commit fail.
async fn try_commit_group(
    store: &dyn Store,
    group: Vec<Pending>,
    last_seq: &mut HashMap<ClientId, i64>,
    delivery: &Delivery,
) -> Option<Vec<Pending>> {
    // Batches committed before (a client re-sending after a reconnect) are answered at once.
    let mut fresh = Vec::with_capacity(group.len());
    for pending in group {
        match committed_before(store, delivery.journey, last_seq, &pending.submission).await {
            Some(version) => pending.answer(Outcome::Applied {
                version,
                journey: None,
                replay: true,
            }),
            None => fresh.push(pending),
        }
    }
    if fresh.is_empty() {
        return None;
    }
    let now = cxmap_domain::now();
    let submissions: Vec<&Submission> = fresh.iter().map(|p| &p.submission).collect();
    let mut outcomes = Vec::new();
    let result = store
        .commit_with(delivery.journey, &mut |journey| {
            plan(journey, &submissions, now, &mut outcomes)
        })
        .await;
    let committed = match result {
        Ok(committed) => committed,
        Err(StoreError::AlreadyExists(_)) => return Some(fresh),
        Err(e) => {
            // Nothing of the group landed (e.g. the database is gone): say so to every sender.
            let error = ApiError::from(e);
            for pending in fresh {
                pending.answer(Outcome::Rejected(error.clone()));
            }
            return None;
        }
    };
    for pending in &fresh {
        let seq = last_seq.entry(pending.submission.client_id).or_insert(0);
        *seq = (*seq).max(pending.submission.client_seq);
    }
    delivery.deliver(committed).await;
    let versions: Vec<Option<Version>> = outcomes
        .iter()
        .map(|o| match o {
            Planned::Accepted(version, _) => Some(*version),
            _ => None,
        })
        .collect();
    for (pending, outcome) in fresh.into_iter().zip(outcomes) {
        pending.answer(match outcome {
            Planned::Accepted(version, journey) => Outcome::Applied {
                version,
                journey,
                replay: false,
            },
            Planned::ReplayOf(first) => match versions.get(first).copied().flatten() {
                Some(version) => Outcome::Applied {
                    version,
                    journey: None,
                    replay: true,
                },
                None => {
                    Outcome::Rejected(ApiError::conflict("the original of this batch was refused"))
                }
            },
            Planned::Rejected(e) => Outcome::Rejected(e),
        });
    }
    None
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

/// Applies a REST edit through the journey's room, so that live sockets see it.
pub async fn commit(
    hub: &Hub,
    journey: JourneyId,
    user: UserId,
    required_base: Option<Version>,
    ops: Vec<JourneyOp>,
) -> ApiResult<Journey> {
    let room = hub.room(journey).await?;
    let outcome = room
        .submit(Submission {
            client_id: ClientId::new(),
            client_seq: 1,
            user_id: user,
            required_base,
            ops,
            want_journey: true,
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
