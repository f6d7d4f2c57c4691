-- The daily digest's outbox: one row per user and local date, written before it is sent and
-- marked once Telegram accepted it, so a failed or interrupted send is retried (until the
-- user's day is over) and two bot processes never both send it. On-demand digests (/digest)
-- get rows too, so their buttons ("Apply all", "that's today's digest") know what they showed.

CREATE TABLE digests (
    id               bigserial PRIMARY KEY,
    user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    local_date       date NOT NULL,                 -- the user's date, in their time zone
    kind             text NOT NULL CHECK (kind IN ('scheduled', 'on_demand')),
    status           text NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'sending', 'sent', 'quiet', 'expired', 'blocked')),
    due_at           timestamptz NOT NULL,          -- the user's digest time that day
    expires_at       timestamptz NOT NULL,          -- the end of that local day: no sending after it
    next_attempt_at  timestamptz NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    lease_token      uuid,                          -- who is sending it now ...
    lease_until      timestamptz,                   -- ... and until when that claim holds
    payload          jsonb,                         -- what the message offered (ids behind "Apply all")
    message_ids      bigint[],
    last_error       text,
    sent_at          timestamptz,
    counted_from     bigint REFERENCES digests (id) ON DELETE SET NULL,  -- an on-demand one taken as today's
    created_at       timestamptz NOT NULL DEFAULT now()
);
-- The exactly-once key: one scheduled digest per user and local date.
CREATE UNIQUE INDEX digests_one_a_day ON digests (user_id, local_date) WHERE kind = 'scheduled';
CREATE INDEX digests_to_send ON digests (next_attempt_at) WHERE status IN ('pending', 'sending');

-- A day with nothing new and nothing waiting: one short line, or no message at all.
ALTER TABLE user_settings ADD COLUMN quiet_digest text NOT NULL DEFAULT 'line'
    CHECK (quiet_digest IN ('line', 'none'));

-- What was spent, when: LLM tokens today; money and CAPTCHA solves once they are recorded.
CREATE TABLE spending (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    application_id  bigint REFERENCES applications (id) ON DELETE SET NULL,
    llm_calls       integer NOT NULL DEFAULT 0,
    llm_tokens      integer NOT NULL DEFAULT 0,
    captcha_solves  integer NOT NULL DEFAULT 0,
    money_usd       numeric(12, 4),                 -- NULL: not known
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX spending_user_time ON spending (user_id, created_at);
