-- 0004_policy: the policy gate (issue 3): contacts and their identities, the
-- consent ledger, the customer-service window, the gate's per-message state
-- and audit records, and the agent queue.

-- contacts are people, one row each, merged across sources (see
-- contact_identities). A merged contact keeps its row with merged_into set,
-- so that history recorded under its id (consent, messages) still resolves.
CREATE TABLE contacts (
    id          TEXT PRIMARY KEY,              -- con_<ulid>
    phone       TEXT,                          -- E.164 with "+", as last seen
    wa_id       TEXT,                          -- WhatsApp id (digits), as last seen
    name        TEXT,
    email       TEXT,
    locale      TEXT,                          -- preferred language, e.g. pt_BR
    time_zone   TEXT,                          -- IANA name, from an attribute
    attributes  TEXT NOT NULL DEFAULT '{}',    -- JSON object
    tags        TEXT NOT NULL DEFAULT '[]',    -- JSON array of strings
    merged_into TEXT REFERENCES contacts(id),
    created_at  INTEGER NOT NULL,              -- Unix milliseconds
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX contacts_merged ON contacts(merged_into) WHERE merged_into IS NOT NULL;

-- contact_identities maps each identifier to one contact: kind is phone
-- (E.164), wa_id, user_id (business-scoped user id), email (lower case) or
-- external (source:id, e.g. shopify:7001234567890).
CREATE TABLE contact_identities (
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (kind, value)
) STRICT, WITHOUT ROWID;
CREATE INDEX contact_identities_by_contact ON contact_identities(contact_id);

-- consent_records is the consent ledger: append-only, the current state of
-- each purpose derived from it (the latest effective record that has not
-- expired). Rows are never updated; an import or a correction appends.
CREATE TABLE consent_records (
    id           INTEGER PRIMARY KEY,
    contact_id   TEXT NOT NULL REFERENCES contacts(id),
    channel      TEXT NOT NULL,                -- whatsapp
    purpose      TEXT NOT NULL,                -- marketing, utility, authentication, service
    status       TEXT NOT NULL,                -- opt_in, opt_out
    lawful_basis TEXT NOT NULL,                -- consent, contract, legal_obligation, legitimate_interests, ...
    source       TEXT NOT NULL,                -- api, keyword, connector, import, platform
    evidence     TEXT NOT NULL DEFAULT '{}',   -- JSON: what proves it (wamid and text, form, IP, ...)
    actor        TEXT NOT NULL,                -- who recorded it: api key name, contact, connector, platform
    effective_at INTEGER NOT NULL,             -- when the person made the choice (Unix ms)
    recorded_at  INTEGER NOT NULL,             -- when Parley recorded it
    expires_at   INTEGER,                      -- NULL: does not expire
    dedupe_key   TEXT UNIQUE                   -- a replayed input records nothing new
) STRICT;
CREATE INDEX consent_by_contact ON consent_records(contact_id, purpose, effective_at DESC, id DESC);
CREATE TRIGGER consent_records_append_only BEFORE UPDATE ON consent_records
BEGIN
    SELECT RAISE(ABORT, 'consent_records is append-only');
END;

-- windows is each contact's customer-service window, opened (and renewed)
-- by the contact's messages for 24 h. A message from a free entry point (a
-- click-to-WhatsApp referral) also starts a 72 h free entry point period,
-- which changes pricing, not what may be sent (PROTOCOL §5).
CREATE TABLE windows (
    contact_id        TEXT PRIMARY KEY REFERENCES contacts(id),
    last_inbound_at   INTEGER NOT NULL,        -- Unix ms of the contact's latest message
    closes_at         INTEGER NOT NULL,        -- Unix ms: last_inbound_at + 24 h
    entry_point_until INTEGER,                 -- Unix ms: a referral + 72 h
    expiring_for      INTEGER                  -- the closes_at for which window.expiring fired
) STRICT, WITHOUT ROWID;
CREATE INDEX windows_by_close ON windows(closes_at);

-- gate_messages is the gate's state of each outbound message: what it is
-- for, the alternatives a flow rendered, when it is deferred to, and when
-- it was released to the outbox (at most once).
CREATE TABLE gate_messages (
    message_id     TEXT PRIMARY KEY REFERENCES messages(id),
    contact_id     TEXT,
    origin         TEXT NOT NULL,              -- flow, bot, api, keyword, system
    category       TEXT NOT NULL DEFAULT '',   -- marketing, utility, authentication, service; '' derive
    lawful_basis   TEXT NOT NULL DEFAULT '',   -- '' derive from the purpose
    alternative    BLOB,                       -- a template request for a closed window (JSON)
    fallback       TEXT,                       -- the fallback action (JSON) when nothing may be sent
    deferred_until INTEGER,                    -- Unix ms; NULL when not deferred
    released_at    INTEGER                     -- Unix ms; set once, when published to the outbox
) STRICT, WITHOUT ROWID;
CREATE INDEX gate_messages_deferred ON gate_messages(deferred_until) WHERE deferred_until IS NOT NULL;
CREATE INDEX gate_messages_sent ON gate_messages(contact_id, category, released_at) WHERE released_at IS NOT NULL;

-- decisions is the audit record of every pre-send decision.
CREATE TABLE decisions (
    id           INTEGER PRIMARY KEY,
    message_id   TEXT NOT NULL REFERENCES messages(id),
    contact_id   TEXT,
    outcome      TEXT NOT NULL,                -- send, send_template, defer_until, fallback, block
    reason       TEXT NOT NULL,                -- stable code, e.g. consent.opted_out
    detail       TEXT NOT NULL,                -- the reason in a sentence
    purpose      TEXT NOT NULL,
    lawful_basis TEXT NOT NULL,
    template     TEXT,
    language     TEXT,
    defer_until  INTEGER,                      -- Unix ms
    fallback     TEXT,                         -- the fallback action taken (JSON)
    actor        TEXT NOT NULL,                -- flow:<name>, api, keyword, ...
    decided_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX decisions_by_message ON decisions(message_id, id);

-- agent_queue holds conversations handed to a person. While a contact has
-- an entry that is not closed, the bot is paused for that contact.
CREATE TABLE agent_queue (
    id         TEXT PRIMARY KEY,               -- hof_<ulid>
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    state      TEXT NOT NULL,                  -- open, claimed, closed
    reason     TEXT NOT NULL,                  -- keyword, menu, flow, api, fallback
    detail     TEXT NOT NULL DEFAULT '',       -- the keyword, the flow, the message
    source_ref TEXT,                           -- wamid, message id or event id that escalated
    agent      TEXT,
    opened_at  INTEGER NOT NULL,
    claimed_at INTEGER,
    closed_at  INTEGER
) STRICT;
CREATE INDEX agent_queue_by_contact ON agent_queue(contact_id, state);
CREATE INDEX agent_queue_by_state ON agent_queue(state, opened_at);
