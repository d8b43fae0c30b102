-- 0003_connectors: the hub's side of connector plugins (package core/connector).

-- connector_inbox keeps every request for /connectors/{name}/webhook as
-- received, stored before the plugin sees it, so that a webhook Parley has
-- acknowledged is never lost, even when the plugin is down.
CREATE TABLE connector_inbox (
    id              INTEGER PRIMARY KEY,
    connector       TEXT NOT NULL,
    method          TEXT NOT NULL,
    path            TEXT NOT NULL,             -- below /connectors/{name}/webhook; "/" at least
    query           TEXT NOT NULL,             -- the raw query string
    headers         TEXT NOT NULL,             -- JSON object of string lists
    body            BLOB NOT NULL,
    received_at     INTEGER NOT NULL,          -- Unix milliseconds
    -- pending (not yet handled by the plugin), processed (events stored),
    -- duplicate (a redelivery of a processed delivery), rejected (signature
    -- refused: 401), bad (malformed: 400), dead (failed for good).
    state           TEXT NOT NULL DEFAULT 'pending',
    reason          TEXT,                      -- why it is rejected, bad, duplicate or dead
    dedupe_key      TEXT,                      -- the connector's delivery key, once known
    events          INTEGER NOT NULL DEFAULT 0,  -- events stored from it
    skipped         INTEGER NOT NULL DEFAULT 0,  -- items recorded in connector_skips
    attempts        INTEGER NOT NULL DEFAULT 0,  -- calls to the plugin that did not settle it
    next_attempt_at INTEGER NOT NULL,          -- a pending row is retried from then on (Unix ms)
    processed_at    INTEGER
) STRICT;
CREATE INDEX connector_inbox_pending ON connector_inbox(next_attempt_at) WHERE state = 'pending';

-- connector_deliveries makes each delivery count once: the first request
-- processed with a dedupe key claims it; a redelivery finds it taken.
CREATE TABLE connector_deliveries (
    connector  TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    inbox_id   INTEGER NOT NULL REFERENCES connector_inbox(id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (connector, dedupe_key)
) STRICT, WITHOUT ROWID;

-- connector_skips records each item of a webhook or a poll that did not
-- become an event, with the reason: skipped by the connector (an unreadable
-- phone, an unmapped topic) or refused by the hub (an invalid event, kept raw).
CREATE TABLE connector_skips (
    id         INTEGER PRIMARY KEY,
    connector  TEXT NOT NULL,
    inbox_id   INTEGER REFERENCES connector_inbox(id), -- NULL for a poll
    item_id    TEXT,
    reason     TEXT NOT NULL,
    body       BLOB,                                   -- the refused event, if the hub refused it
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX connector_skips_by_inbox ON connector_skips(inbox_id);

-- connector_cursors holds each polling connector's cursor, written in the
-- transaction that stores the events of the poll.
CREATE TABLE connector_cursors (
    connector  TEXT PRIMARY KEY,
    cursor     TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- connector_actions are the actions flows asked connectors to run: one per
-- flow and event, executed by the actions stage.
CREATE TABLE connector_actions (
    id          TEXT PRIMARY KEY,              -- act_<ulid>; also the idempotency key sent to the connector
    dedupe_key  TEXT NOT NULL UNIQUE,          -- flow + event
    flow        TEXT NOT NULL,
    event_id    TEXT NOT NULL REFERENCES events(id),
    connector   TEXT NOT NULL,
    action      TEXT NOT NULL,
    input       TEXT NOT NULL,                 -- JSON object: the flow's input templates
    state       TEXT NOT NULL DEFAULT 'pending', -- pending, done, failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    output      TEXT,                          -- JSON object, once done
    error       TEXT,                          -- the last error
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX connector_actions_by_event ON connector_actions(event_id);
