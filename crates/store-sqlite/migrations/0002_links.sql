-- Tracked short links, their clicks and the daily salts of visitor hashes.
CREATE TABLE links (
    id            BLOB PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    journey_id    BLOB REFERENCES journeys (id) ON DELETE SET NULL,
    touchpoint_id BLOB,
    target        TEXT NOT NULL,
    utm           TEXT NOT NULL,
    password_hash TEXT,
    expires_at    TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_by    BLOB REFERENCES users (id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX links_workspace ON links (workspace_id, created_at);
CREATE INDEX links_journey ON links (journey_id);

-- One row per answered redirect. The id makes a replayed click a no-op; `day` (UTC) is kept
-- as a column so that daily series group without date functions.
CREATE TABLE clicks (
    id            BLOB PRIMARY KEY,
    link_id       BLOB NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    at            TEXT NOT NULL,
    day           TEXT NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('link', 'qr')),
    bot           INTEGER NOT NULL,
    device        TEXT NOT NULL,
    browser       TEXT NOT NULL,
    referrer_host TEXT,
    country       TEXT,
    visitor       TEXT
);
CREATE INDEX clicks_link_day ON clicks (link_id, day);

CREATE TABLE visitor_salts (
    day  TEXT PRIMARY KEY,
    salt BLOB NOT NULL
);
