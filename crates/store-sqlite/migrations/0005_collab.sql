-- Browser sessions, share links, comment mentions and the co-editing op log.
CREATE TABLE sessions (
    hash       TEXT PRIMARY KEY,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE shares (
    id         BLOB PRIMARY KEY,
    journey_id BLOB NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('viewer', 'commenter', 'editor')),
    token_hash TEXT NOT NULL UNIQUE,
    created_by BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);
CREATE INDEX shares_journey ON shares (journey_id, created_at);

CREATE TABLE share_grants (
    share_id BLOB NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
    user_id  BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (share_id, user_id)
);
CREATE INDEX share_grants_user ON share_grants (user_id);

CREATE TABLE comment_mentions (
    comment_id BLOB NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (comment_id, user_id)
);
CREATE INDEX comment_mentions_user ON comment_mentions (user_id, created_at);

-- One row per committed co-editing batch; (client_id, client_seq) makes replays idempotent.
CREATE TABLE journey_ops (
    journey_id BLOB NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    client_id  BLOB NOT NULL,
    client_seq INTEGER NOT NULL,
    user_id    BLOB NOT NULL,
    ops        TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (journey_id, version),
    UNIQUE (journey_id, client_id, client_seq)
);
