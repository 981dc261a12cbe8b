-- Browser sessions, share links, comment mentions and the co-editing op log.
CREATE TABLE sessions (
    hash       TEXT PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE shares (
    id         UUID PRIMARY KEY,
    journey_id UUID NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('viewer', 'commenter', 'editor')),
    token_hash TEXT NOT NULL UNIQUE,
    created_by UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX shares_journey ON shares (journey_id, created_at);

CREATE TABLE share_grants (
    share_id UUID NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
    user_id  UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (share_id, user_id)
);
CREATE INDEX share_grants_user ON share_grants (user_id);

CREATE TABLE comment_mentions (
    comment_id UUID NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (comment_id, user_id)
);
CREATE INDEX comment_mentions_user ON comment_mentions (user_id, created_at);

-- One row per committed co-editing batch; (client_id, client_seq) makes replays idempotent.
CREATE TABLE journey_ops (
    journey_id UUID NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    client_id  UUID NOT NULL,
    client_seq BIGINT NOT NULL,
    user_id    UUID NOT NULL,
    ops        JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (journey_id, version),
    UNIQUE (journey_id, client_id, client_seq)
);
