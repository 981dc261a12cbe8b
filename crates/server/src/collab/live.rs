//! `GET /api/v1/journeys/{id}/live`: the co-editing WebSocket (protocol in `docs/collab.md`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, HOST, ORIGIN};
use axum::response::{IntoResponse, Response};
use cxmap_domain::{ClientId, Journey, JourneyId, JourneyOp, Role, UserId, Version};
use cxmap_store::{OpLogEntry, User};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;

use super::{Outcome, Peer, Room, RoomEvent, Submission};
use crate::AppState;
use crate::access;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, Principal};

/// The largest frame a client may send.
const MAX_FRAME: usize = 1 << 20;
/// The most operations in one batch.
const MAX_OPS: usize = 500;
/// How long a checked role is trusted before it is checked again (a revoked share link or a
/// demoted member stops editing within this time).
const ROLE_TTL: Duration = Duration::from_secs(5);
/// How often the server pings an idle socket.
const PING_EVERY: Duration = Duration::from_secs(25);

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ClientMessage {
    Ops {
        client_id: ClientId,
        client_seq: i64,
        #[serde(default)]
        #[allow(dead_code)] // informational: edits are last-writer-wins per property
        base: Option<Version>,
        ops: Vec<JourneyOp>,
    },
    Presence {
        selection: Option<String>,
    },
    Sync {
        since: Version,
    },
    Ping,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ServerMessage<'a> {
    Hello {
        session: &'a str,
        you: &'a Peer,
        role: Role,
        version: Version,
        journey: &'a Journey,
        peers: &'a [Peer],
    },
    Applied {
        client_id: ClientId,
        client_seq: i64,
        version: Version,
    },
    Ops {
        version: Version,
        ops: &'a [JourneyOp],
        user_id: UserId,
        client_id: ClientId,
        client_seq: i64,
    },
    Rejected {
        client_seq: i64,
        code: &'a str,
        message: &'a str,
    },
    Snapshot {
        version: Version,
        journey: &'a Journey,
    },
    Presence {
        peers: &'a [Peer],
    },
    Error {
        code: &'a str,
        message: &'a str,
    },
    Pong,
}

/// Opens the live channel of a journey (viewer and up; edits need editor).
#[utoipa::path(get, path = "/api/v1/journeys/{id}/live", tag = "collaboration",
    params(("id" = JourneyId, Path)),
    responses((status = 101, description = "WebSocket; see docs/collab.md"),
        (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub async fn live(
    State(state): State<AppState>,
    Principal(user): Principal,
    ApiPath(id): ApiPath<JourneyId>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    // A cookie rides along on cross-site WebSocket handshakes too: only our own pages may use it.
    if !headers.contains_key(AUTHORIZATION) && !same_origin(&headers, &state.config.public_url) {
        return Err(ApiError::forbidden(
            "this WebSocket only accepts the app's own origin",
        ));
    }
    let (_, role) = access::journey(&state, &user, id, Role::Viewer).await?;
    let room = state.hub.room(id).await?;
    Ok(upgrade
        .max_message_size(MAX_FRAME)
        .on_upgrade(move |socket| async move {
            let mut connection = Connection::new(state, room, user, role);
            if let Err(e) = connection.run(socket).await {
                tracing::debug!(journey = %id, error = %e, "live socket closed");
            }
            connection.leave();
        })
        .into_response())
}

fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Browsers always send Origin on WebSocket handshakes; other clients are not CSRF.
        return true;
    };
    let origin_host = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/');
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    host == Some(origin_host) || public_url.trim_end_matches('/') == origin
}

struct Connection {
    state: AppState,
    room: Arc<Room>,
    user: User,
    role: Role,
    role_checked: Instant,
    me: Peer,
    /// Client ids this socket has sent batches under: their commits are answered `applied`.
    own_clients: Vec<ClientId>,
    /// The last version this socket has been sent.
    version: Version,
}

impl Connection {
    fn new(state: AppState, room: Arc<Room>, user: User, role: Role) -> Self {
        let me = Peer {
            session: ClientId::new().as_uuid().simple().to_string(),
            user_id: user.id,
            name: user.name.clone(),
            color: color_of(user.id),
            selection: None,
        };
        Self {
            state,
            room,
            user,
            role,
            role_checked: Instant::now(),
            me,
            own_clients: Vec::new(),
            version: Version(0),
        }
    }

    async fn run(&mut self, mut socket: WebSocket) -> Result<(), axum::Error> {
        // Subscribe before reading the snapshot, so no commit falls between the two.
        let mut events = self.room.subscribe();
        let journey = match self.state.store.journey(self.room.id()).await {
            Ok(journey) => journey,
            Err(e) => {
                let e = ApiError::from(e);
                return send(
                    &mut socket,
                    &ServerMessage::Error {
                        code: e.code,
                        message: &e.message,
                    },
                )
                .await;
            }
        };
        self.version = journey.version;
        self.room.upsert_peer(self.me.clone());
        let peers = self.room.peers();
        send(
            &mut socket,
            &ServerMessage::Hello {
                session: &self.me.session,
                you: &self.me,
                role: self.role,
                version: journey.version,
                journey: &journey,
                peers: &peers,
            },
        )
        .await?;
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        loop {
            tokio::select! {
                frame = socket.recv() => {
                    let Some(frame) = frame else { return Ok(()) };
                    match frame? {
                        Message::Text(text) => self.on_frame(&mut socket, text.as_str()).await?,
                        Message::Binary(_) => {
                            send(&mut socket, &ServerMessage::Error { code: "bad_request", message: "frames are JSON text" }).await?;
                        }
                        Message::Close(_) => return Ok(()),
                        Message::Ping(_) | Message::Pong(_) => {}
                    }
                }
                event = events.recv() => match event {
                    Ok(event) => self.on_event(&mut socket, event).await?,
                    Err(RecvError::Lagged(_)) => self.resync(&mut socket).await?,
                    Err(RecvError::Closed) => return Ok(()),
                },
                _ = ping.tick() => socket.send(Message::Ping(Default::default())).await?,
            }
        }
    }

    fn leave(&self) {
        self.room.remove_peer(&self.me.session);
    }

    async fn on_frame(&mut self, socket: &mut WebSocket, text: &str) -> Result<(), axum::Error> {
        let message: ClientMessage = match crate::extract::parse_json(text.as_bytes()) {
            Ok(message) => message,
            Err(e) => {
                let code = if e.code == "invalid_field" {
                    "invalid_op"
                } else {
                    e.code
                };
                let seq = client_seq_of(text);
                return match seq {
                    Some(client_seq) => self.reject(socket, client_seq, code, &e.message).await,
                    None => {
                        send(
                            socket,
                            &ServerMessage::Error {
                                code,
                                message: &e.message,
                            },
                        )
                        .await
                    }
                };
            }
        };
        match message {
            ClientMessage::Ops {
                client_id,
                client_seq,
                ops,
                ..
            } => self.on_ops(socket, client_id, client_seq, ops).await,
            ClientMessage::Presence { selection } => {
                self.me.selection = selection.filter(|s| s.len() <= 200);
                self.room.upsert_peer(self.me.clone());
                Ok(())
            }
            ClientMessage::Sync { since } => self.sync_from(socket, since).await,
            ClientMessage::Ping => send(socket, &ServerMessage::Pong).await,
        }
    }

    async fn on_ops(
        &mut self,
        socket: &mut WebSocket,
        client_id: ClientId,
        client_seq: i64,
        ops: Vec<JourneyOp>,
    ) -> Result<(), axum::Error> {
        let refusal = match self.current_role().await {
            Err(e) => Some(e),
            Ok(role) if !role.allows(Role::Editor) => Some(ApiError::forbidden(format!(
                "editing needs the editor role; you are {role}"
            ))),
            Ok(_) if ops.len() > MAX_OPS => Some(ApiError::invalid_field(
                "ops",
                format!("at most {MAX_OPS} operations per batch"),
            )),
            Ok(_) => None,
        };
        if let Some(e) = refusal {
            return self.reject(socket, client_seq, e.code, &e.message).await;
        }
        if !self.own_clients.contains(&client_id) {
            self.own_clients.push(client_id);
        }
        let outcome = self
            .room
            .submit(Submission {
                client_id,
                client_seq,
                user_id: self.user.id,
                required_base: None,
                ops,
                want_journey: false,
            })
            .await;
        match outcome {
            // A fresh commit is answered in order, when its broadcast reaches this socket.
            Outcome::Applied { replay: false, .. } => Ok(()),
            Outcome::Applied {
                version,
                replay: true,
                ..
            } => {
                send(
                    socket,
                    &ServerMessage::Applied {
                        client_id,
                        client_seq,
                        version,
                    },
                )
                .await
            }
            Outcome::Rejected(e) => self.reject(socket, client_seq, e.code, &e.message).await,
        }
    }

    /// The caller's role, checked again when the last check is older than [`ROLE_TTL`].
    async fn current_role(&mut self) -> ApiResult<Role> {
        if self.role_checked.elapsed() > ROLE_TTL {
            let journey = self.state.store.journey(self.room.id()).await?;
            self.role = access::journey_role(&self.state, &self.user, &journey)
                .await?
                .ok_or_else(|| ApiError::forbidden("you no longer have access to this journey"))?;
            self.role_checked = Instant::now();
        }
        Ok(self.role)
    }

    async fn on_event(
        &mut self,
        socket: &mut WebSocket,
        event: RoomEvent,
    ) -> Result<(), axum::Error> {
        match event {
            RoomEvent::Committed(entry) => {
                if entry.version <= self.version {
                    return Ok(());
                }
                self.version = entry.version;
                if self.own_clients.contains(&entry.client_id) {
                    send(
                        socket,
                        &ServerMessage::Applied {
                            client_id: entry.client_id,
                            client_seq: entry.client_seq,
                            version: entry.version,
                        },
                    )
                    .await
                } else {
                    send(socket, &ops_message(&entry)).await
                }
            }
            RoomEvent::Reset(journey) => {
                self.version = journey.version;
                send(
                    socket,
                    &ServerMessage::Snapshot {
                        version: journey.version,
                        journey: &journey,
                    },
                )
                .await
            }
            RoomEvent::Presence(peers) => {
                send(socket, &ServerMessage::Presence { peers: &peers }).await
            }
        }
    }

    /// Answers `sync`: the committed batches after `since`, or a snapshot when they are too
    /// many or gone.
    async fn sync_from(
        &mut self,
        socket: &mut WebSocket,
        since: Version,
    ) -> Result<(), axum::Error> {
        let entries = self
            .state
            .store
            .ops_since(self.room.id(), since, 500)
            .await
            .unwrap_or_default();
        let contiguous = entries.first().is_some_and(|e| e.version.0 == since.0 + 1)
            && entries.last().is_some_and(|e| e.version >= self.version);
        if !contiguous {
            return self.resync(socket).await;
        }
        for entry in &entries {
            send(socket, &ops_message(entry)).await?;
        }
        if let Some(last) = entries.last() {
            self.version = self.version.max(last.version);
        }
        Ok(())
    }

    /// Tells the sender its batch was refused, then sends the authoritative map.
    async fn reject(
        &mut self,
        socket: &mut WebSocket,
        client_seq: i64,
        code: &str,
        message: &str,
    ) -> Result<(), axum::Error> {
        send(
            socket,
            &ServerMessage::Rejected {
                client_seq,
                code,
                message,
            },
        )
        .await?;
        self.resync(socket).await
    }

    async fn resync(&mut self, socket: &mut WebSocket) -> Result<(), axum::Error> {
        match self.state.store.journey(self.room.id()).await {
            Ok(journey) => {
                self.version = journey.version;
                send(
                    socket,
                    &ServerMessage::Snapshot {
                        version: journey.version,
                        journey: &journey,
                    },
                )
                .await
            }
            Err(e) => {
                let e = ApiError::from(e);
                send(
                    socket,
                    &ServerMessage::Error {
                        code: e.code,
                        message: &e.message,
                    },
                )
                .await
            }
        }
    }
}

fn ops_message(entry: &OpLogEntry) -> ServerMessage<'_> {
    ServerMessage::Ops {
        version: entry.version,
        ops: &entry.ops,
        user_id: entry.user_id,
        client_id: entry.client_id,
        client_seq: entry.client_seq,
    }
}

/// The `client_seq` of a frame that did not parse, so its sender can drop the batch.
fn client_seq_of(text: &str) -> Option<i64> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()?
        .get("client_seq")?
        .as_i64()
}

async fn send(socket: &mut WebSocket, message: &ServerMessage<'_>) -> Result<(), axum::Error> {
    let text = serde_json::to_string(message).map_err(axum::Error::new)?;
    socket.send(Message::Text(text.into())).await
}

/// A stable, readable colour per user.
fn color_of(user: UserId) -> String {
    const PALETTE: [&str; 10] = [
        "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#0f9d9a", "#f032e6", "#9a6324",
        "#800000", "#000075",
    ];
    let bytes = user.as_uuid().into_bytes();
    let index = bytes.iter().fold(0usize, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(*b as usize)
    });
    PALETTE[index % PALETTE.len()].to_owned()
}
