-- Accounts, workspaces, projects, journeys and comments.
-- A journey is one JSON document (the aggregate) plus the columns needed to list and guard it.
CREATE TABLE users (
    id            BLOB PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE workspaces (
    id         BLOB PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE members (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('viewer', 'commenter', 'editor', 'owner')),
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX members_user ON members (user_id);

CREATE TABLE api_tokens (
    hash       TEXT PRIMARY KEY,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE projects (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX projects_workspace ON projects (workspace_id);

CREATE TABLE journeys (
    id         BLOB PRIMARY KEY,
    project_id BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    doc        TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX journeys_project ON journeys (project_id, updated_at);

CREATE TABLE comments (
    id         BLOB PRIMARY KEY,
    journey_id BLOB NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    doc        TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX comments_journey ON comments (journey_id, created_at);
