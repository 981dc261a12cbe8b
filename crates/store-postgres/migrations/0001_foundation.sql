-- Accounts, workspaces, projects, journeys and comments (PostgreSQL twin of the SQLite
-- adapter's 0001_foundation.sql; migration numbers stay equal across both adapters).
-- A journey is one JSONB document (the aggregate) plus the columns needed to list and guard it.
CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE workspaces (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE members (
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('viewer', 'commenter', 'editor', 'owner')),
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX members_user ON members (user_id);

CREATE TABLE api_tokens (
    hash       TEXT PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

CREATE TABLE projects (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX projects_workspace ON projects (workspace_id);

CREATE TABLE journeys (
    id         UUID PRIMARY KEY,
    project_id UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    doc        JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX journeys_project ON journeys (project_id, updated_at);

CREATE TABLE comments (
    id         UUID PRIMARY KEY,
    journey_id UUID NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    doc        JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX comments_journey ON comments (journey_id, created_at);
