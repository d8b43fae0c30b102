-- 0005_ops: operations (issue 5): listing dead letters by topic for
-- parley dlq and GET /v1/dlq, and counting them per topic for /metrics,
-- without scanning the table.
CREATE INDEX dead_letters_by_topic ON dead_letters(topic, replayed_at, id);
