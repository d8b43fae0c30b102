-- 0001_pubsub: the durable Watermill Pub/Sub of core/pubsub.
--
-- A message is stored once per topic. Each consumer group that subscribes to
-- the topic has a row in pubsub_subscriptions whose claimed_through cursor
-- says how far it has claimed. A batch the group has claimed and not yet
-- fully acked is one row in pubsub_leases: the topic's messages from first_id
-- to last_id, handed out in order, the acked ones having moved first_id past
-- them. A message is therefore done for a group when id <= claimed_through
-- and no lease of the group covers it, and it is deleted once it is done for
-- every group subscribed to its topic.

CREATE TABLE pubsub_messages (
    -- AUTOINCREMENT: ids are never reused, even after the newest message is
    -- deleted, so a cursor past an id never skips a later message.
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    topic      TEXT    NOT NULL,
    uuid       TEXT    NOT NULL,
    metadata   TEXT    NOT NULL, -- JSON object of string values
    payload    BLOB    NOT NULL,
    created_at INTEGER NOT NULL  -- Unix milliseconds
);

CREATE INDEX pubsub_messages_topic_id ON pubsub_messages (topic, id);

CREATE TABLE pubsub_subscriptions (
    topic           TEXT    NOT NULL,
    consumer_group  TEXT    NOT NULL,
    -- Every message of topic with id <= claimed_through has been claimed by
    -- the group at least once: it is either acked or leased.
    claimed_through INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL, -- Unix milliseconds
    PRIMARY KEY (topic, consumer_group)
) WITHOUT ROWID;

CREATE TABLE pubsub_leases (
    -- AUTOINCREMENT: a subscriber addresses its lease by id long after
    -- claiming it; the id must not have been given to another lease since.
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    topic          TEXT    NOT NULL,
    consumer_group TEXT    NOT NULL,
    first_id       INTEGER NOT NULL, -- the oldest message of the batch not acked yet
    last_id        INTEGER NOT NULL, -- the newest message of the batch
    -- Unix milliseconds. Until then one subscriber of the group holds the
    -- batch; from then on any subscriber of the group may claim it again.
    leased_until   INTEGER NOT NULL,
    claims         INTEGER NOT NULL DEFAULT 1 -- times the batch was claimed
);

CREATE INDEX pubsub_leases_topic ON pubsub_leases (topic, consumer_group, first_id);
