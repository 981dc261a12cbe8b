-- Analyses read a workspace's events in the order they were stored and group them by case in
-- memory (cxmap_analytics::EventLogBuilder), so events no longer need an index by case. That
-- index took a random insert per event, which was most of the ingest cost once a workspace's
-- index outgrew the page cache; an index by workspace alone (its entries end in the rowid) is
-- appended to at its end.
DROP INDEX events_case;
CREATE INDEX events_workspace ON events (workspace_id);
