-- Tracked short links, their clicks and the daily salts of visitor hashes (PostgreSQL twin of
-- the SQLite adapter's 0002_links.sql).
CREATE TABLE links (
    id            UUID PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    workspace_id  UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    journey_id    UUID REFERENCES journeys (id) ON DELETE SET NULL,
    touchpoint_id UUID,
    target        TEXT NOT NULL,
    utm           JSONB NOT NULL,
    password_hash TEXT,
    expires_at    TIMESTAMPTZ,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_by    UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX links_workspace ON links (workspace_id, created_at);
CREATE INDEX links_journey ON links (journey_id);

-- One row per answered redirect. The id makes a replayed click a no-op; `day` (UTC) is kept
-- as a column so that daily series group without time-zone arithmetic.
CREATE TABLE clicks (
    id            UUID PRIMARY KEY,
    link_id       UUID NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    at            TIMESTAMPTZ NOT NULL,
    day           DATE NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('link', 'qr')),
    bot           BOOLEAN NOT NULL,
    device        TEXT NOT NULL,
    browser       TEXT NOT NULL,
    referrer_host TEXT,
    country       TEXT,
    visitor       TEXT
);
CREATE INDEX clicks_link_day ON clicks (link_id, day);

CREATE TABLE visitor_salts (
    day  DATE PRIMARY KEY,
    salt BYTEA NOT NULL
);
