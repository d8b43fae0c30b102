-- The spine: events in, messages out, webhooks back.

-- events holds every accepted canonical event, raw, with the response it got,
-- so that a repeat with the same idempotency key gets the same answer.
CREATE TABLE events (
    id            TEXT PRIMARY KEY,            -- Parley's id, evt_<ulid>
    idem_key      TEXT NOT NULL UNIQUE,        -- Idempotency-Key header, else source:id
    type          TEXT NOT NULL,
    source        TEXT NOT NULL,
    source_id     TEXT NOT NULL,
    occurred_at   INTEGER NOT NULL,            -- Unix milliseconds
    received_at   INTEGER NOT NULL,            -- Unix milliseconds
    body          BLOB NOT NULL,               -- the raw request body
    response_code INTEGER NOT NULL,
    response      BLOB NOT NULL
) STRICT, WITHOUT ROWID;

-- messages are outbound WhatsApp messages, one row each, whatever created them.
CREATE TABLE messages (
    id          TEXT PRIMARY KEY,              -- msg_<ulid>: sorts by creation time
    event_id    TEXT REFERENCES events(id),
    dedupe_key  TEXT UNIQUE,                   -- flow + event + recipient + step; NULL for direct sends without a key
    flow        TEXT NOT NULL DEFAULT '',
    recipient   TEXT NOT NULL,                 -- as sent in "to"
    wa_id       TEXT,                          -- as resolved by the platform
    kind        TEXT NOT NULL,                 -- text, template, image, interactive, ...
    request     BLOB NOT NULL,                 -- the Cloud API request body
    status      TEXT NOT NULL,                 -- accepted, sent, delivered, read, failed
    wamid       TEXT UNIQUE,
    attempts    INTEGER NOT NULL DEFAULT 0,
    error_code  INTEGER,
    error_title TEXT,
    error_detail TEXT,
    pricing     TEXT,                          -- the pricing object, JSON
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    submitted_at INTEGER                       -- when the Cloud API accepted it
) STRICT, WITHOUT ROWID;
-- Newest first is ORDER BY id DESC (ids are ULIDs), so no time index.
CREATE INDEX messages_by_event ON messages(event_id, id);
CREATE INDEX messages_by_status ON messages(status, id);

-- message_statuses is each message's status history, one row per status
-- seen (duplicates from the platform collapse on the primary key). The
-- initial "accepted" is messages.created_at and has no row.
CREATE TABLE message_statuses (
    message_id  TEXT NOT NULL REFERENCES messages(id),
    status      TEXT NOT NULL,
    source      TEXT NOT NULL,                 -- parley, api or webhook
    at          INTEGER NOT NULL,              -- Meta's timestamp (Unix ms) or Parley's clock
    recorded_at INTEGER NOT NULL,
    detail      TEXT,                          -- errors[] / pricing, JSON
    PRIMARY KEY (message_id, status)
) STRICT, WITHOUT ROWID;

-- orphan_statuses holds statuses whose wamid Parley has not recorded yet
-- (the webhook outran the send response); they apply when it is recorded.
CREATE TABLE orphan_statuses (
    wamid       TEXT NOT NULL,
    status      TEXT NOT NULL,
    payload     BLOB NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (wamid, status)
) STRICT, WITHOUT ROWID;

-- webhook_inbox keeps every signed webhook body as received, before the 200.
CREATE TABLE webhook_inbox (
    id          INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,
    body        BLOB NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending', -- pending, processed, dead
    reason      TEXT
) STRICT;

-- inbound_messages are customers' messages, unique by wamid.
CREATE TABLE inbound_messages (
    wamid           TEXT PRIMARY KEY,
    phone_number_id TEXT NOT NULL,
    from_wa_id      TEXT,
    from_user_id    TEXT,
    profile_name    TEXT,
    type            TEXT NOT NULL,
    text            TEXT,
    sent_at         INTEGER NOT NULL,
    received_at     INTEGER NOT NULL,
    payload         BLOB NOT NULL
) STRICT;
CREATE INDEX inbound_by_sender ON inbound_messages(from_wa_id, sent_at DESC);

-- template_statuses is the platform's approval status per template and language.
CREATE TABLE template_statuses (
    name        TEXT NOT NULL,
    language    TEXT NOT NULL,
    status      TEXT NOT NULL,
    category    TEXT,
    template_id TEXT,
    reason      TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (name, language)
) STRICT, WITHOUT ROWID;

-- rejects keeps input Parley refused (malformed events, forged webhooks),
-- raw, with the reason.
CREATE TABLE rejects (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,                 -- event, webhook
    received_at INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    body        BLOB NOT NULL
) STRICT;

-- dead_letters are pipeline messages that failed for good, with the reason.
CREATE TABLE dead_letters (
    id           INTEGER PRIMARY KEY,
    uuid         TEXT NOT NULL,
    topic        TEXT NOT NULL,
    handler      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    payload      BLOB NOT NULL,
    metadata     TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    replayed_at  INTEGER
) STRICT;
