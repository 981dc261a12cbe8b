-- Customer events per workspace, the idempotency keys of the batches that brought them, and the
-- rules that map event names onto a journey's touchpoints.
-- `seq` is the rowid: it keeps the order events were stored in, which breaks timestamp ties.
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,
    workspace_id BLOB NOT NULL,
    case_id      TEXT NOT NULL,
    activity     TEXT NOT NULL,
    ts           INTEGER NOT NULL, -- microseconds since the Unix epoch, UTC
    attrs        TEXT              -- a JSON object, NULL when there are no attributes
);
CREATE INDEX events_case ON events (workspace_id, case_id, ts);
-- No foreign key on the hot ingest path (one parent lookup per row); a trigger cascades instead.
CREATE TRIGGER events_workspace_deleted AFTER DELETE ON workspaces
BEGIN
    DELETE FROM events WHERE workspace_id = old.id;
END;

CREATE TABLE event_batches (
    workspace_id    BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    events          INTEGER NOT NULL,
    received_at     TEXT NOT NULL,
    PRIMARY KEY (workspace_id, idempotency_key)
) WITHOUT ROWID;

CREATE TABLE event_mapping_rules (
    id            BLOB PRIMARY KEY,
    journey_id    BLOB NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('exact', 'prefix', 'regex')),
    pattern       TEXT NOT NULL,
    touchpoint_id BLOB NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX event_mapping_rules_journey ON event_mapping_rules (journey_id, created_at);
