-- Customer events per workspace, the idempotency keys of the batches that brought them, and the
-- rules that map event names onto a journey's touchpoints.
-- `seq` keeps the order events were stored in, which breaks timestamp ties.
CREATE TABLE events (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    case_id      TEXT NOT NULL,
    activity     TEXT NOT NULL,
    ts           TIMESTAMPTZ NOT NULL,
    attrs        JSONB
);
CREATE INDEX events_case ON events (workspace_id, case_id, ts, seq);

CREATE TABLE event_batches (
    workspace_id    UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    events          BIGINT NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, idempotency_key)
);

CREATE TABLE event_mapping_rules (
    id            UUID PRIMARY KEY,
    journey_id    UUID NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('exact', 'prefix', 'regex')),
    pattern       TEXT NOT NULL,
    touchpoint_id UUID NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX event_mapping_rules_journey ON event_mapping_rules (journey_id, created_at);
