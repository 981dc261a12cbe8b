-- Surveys on touchpoints, respondents, answers, triggers, sending policy and the send queue.
-- Times are TEXT in RFC 3339 UTC as sqlx writes them; comparing them as text orders them
-- correctly because every value is UTC with the same layout.
CREATE TABLE surveys (
    id            BLOB PRIMARY KEY,
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    journey_id    BLOB NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    touchpoint_id BLOB NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('nps', 'csat', 'ces')),
    doc           TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX surveys_journey ON surveys (journey_id, created_at);

CREATE TABLE survey_respondents (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    customer_id  TEXT NOT NULL,
    doc          TEXT NOT NULL,
    UNIQUE (workspace_id, customer_id)
);

CREATE TABLE survey_answers (
    id            BLOB PRIMARY KEY,
    survey_id     BLOB NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    respondent_id BLOB REFERENCES survey_respondents (id) ON DELETE CASCADE,
    -- One answer per personal link.
    token_nonce   BLOB UNIQUE,
    score         INTEGER NOT NULL,
    channel       TEXT NOT NULL,
    segment       TEXT,
    comment       TEXT NOT NULL,
    extra         TEXT NOT NULL,
    answered_at   TEXT NOT NULL
);
CREATE INDEX survey_answers_survey ON survey_answers (survey_id, answered_at);
CREATE INDEX survey_answers_respondent ON survey_answers (respondent_id);

CREATE TABLE survey_triggers (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    survey_id    BLOB NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    doc          TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX survey_triggers_workspace ON survey_triggers (workspace_id, created_at);

CREATE TABLE survey_policies (
    workspace_id BLOB PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    doc          TEXT NOT NULL
);

CREATE TABLE survey_sends (
    id              BLOB PRIMARY KEY,
    survey_id       BLOB NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    respondent_id   BLOB NOT NULL REFERENCES survey_respondents (id) ON DELETE CASCADE,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'kakao')),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    due_at          TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    claim           BLOB,
    last_error      TEXT,
    sent_at         TEXT,
    dedupe_key      TEXT UNIQUE,
    created_at      TEXT NOT NULL
);
-- The scheduler's scan: due pending rows and expired leases.
CREATE INDEX survey_sends_due ON survey_sends (state, next_attempt_at);
CREATE INDEX survey_sends_respondent ON survey_sends (respondent_id, due_at);
CREATE INDEX survey_sends_survey ON survey_sends (survey_id, due_at);
