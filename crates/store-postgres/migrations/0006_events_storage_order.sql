-- Analyses read a workspace's events in the order they were stored and group them by case in
-- memory (cxmap_analytics::EventLogBuilder), so events no longer need an index by case, whose
-- random inserts slowed ingest; an index by (workspace, seq) is appended to at its end.
DROP INDEX events_case;
CREATE INDEX events_workspace ON events (workspace_id, seq);
