-- Surveys on touchpoints, respondents, answers, triggers, sending policy and the send queue
-- (PostgreSQL twin of the SQLite adapter's 0003_surveys.sql).
CREATE TABLE surveys (
    id            UUID PRIMARY KEY,
    workspace_id  UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    journey_id    UUID NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    touchpoint_id UUID NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('nps', 'csat', 'ces')),
    doc           JSONB NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX surveys_journey ON surveys (journey_id, created_at);

CREATE TABLE survey_respondents (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    customer_id  TEXT NOT NULL,
    doc          JSONB NOT NULL,
    UNIQUE (workspace_id, customer_id)
);

CREATE TABLE survey_answers (
    id            UUID PRIMARY KEY,
    survey_id     UUID NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    respondent_id UUID REFERENCES survey_respondents (id) ON DELETE CASCADE,
    -- One answer per personal link.
    token_nonce   UUID UNIQUE,
    score         INTEGER NOT NULL,
    channel       TEXT NOT NULL,
    segment       TEXT,
    comment       TEXT NOT NULL,
    extra         JSONB NOT NULL,
    answered_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX survey_answers_survey ON survey_answers (survey_id, answered_at);
CREATE INDEX survey_answers_respondent ON survey_answers (respondent_id);

CREATE TABLE survey_triggers (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    survey_id    UUID NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    doc          JSONB NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX survey_triggers_workspace ON survey_triggers (workspace_id, created_at);

CREATE TABLE survey_policies (
    workspace_id UUID PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    doc          JSONB NOT NULL
);

CREATE TABLE survey_sends (
    id              UUID PRIMARY KEY,
    survey_id       UUID NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    respondent_id   UUID NOT NULL REFERENCES survey_respondents (id) ON DELETE CASCADE,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'kakao')),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    due_at          TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    lease_until     TIMESTAMPTZ,
    claim           UUID,
    last_error      TEXT,
    sent_at         TIMESTAMPTZ,
    dedupe_key      TEXT UNIQUE,
    created_at      TIMESTAMPTZ NOT NULL
);
-- The scheduler's scan: due pending rows and expired leases.
CREATE INDEX survey_sends_due ON survey_sends (state, next_attempt_at);
CREATE INDEX survey_sends_respondent ON survey_sends (respondent_id, due_at);
CREATE INDEX survey_sends_survey ON survey_sends (survey_id, due_at);
