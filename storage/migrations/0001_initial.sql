-- Users, profiles, jobs, applications with their event trail, browser sessions and prompts.

CREATE TABLE users (
    id          bigint PRIMARY KEY,              -- Telegram user id
    chat_id     bigint NOT NULL,                 -- private chat with the bot
    first_name  text,
    username    text,
    active      boolean NOT NULL DEFAULT true,   -- false once the user blocked the bot
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE files (
    id            bigserial PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    filename      text NOT NULL,
    content_type  text NOT NULL,
    content       bytea NOT NULL,
    sha256        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE profiles (
    user_id               bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    data                  jsonb NOT NULL,
    resume_file_id        bigint REFERENCES files (id),
    cover_letter_file_id  bigint REFERENCES files (id),
    source                text NOT NULL,     -- 'file:<path>' or 'telegram:<filename>'
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE jobs (
    id             bigserial PRIMARY KEY,
    canonical_url  text NOT NULL UNIQUE,
    url            text NOT NULL,            -- as first seen
    host           text NOT NULL,
    title          text,
    company        text,
    location       text,
    description    text,
    ats            text,
    fetched_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE applications (
    id                 bigserial PRIMARY KEY,
    user_id            bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    job_id             bigint NOT NULL REFERENCES jobs (id),
    status             text NOT NULL DEFAULT 'received' CHECK (status IN (
                           'received', 'scored', 'awaiting_approval', 'queued', 'running',
                           'waiting_user', 'submitted', 'skipped', 'rejected', 'failed',
                           'timed_out', 'cancelled')),
    score              real,
    score_reasons      jsonb,
    card_chat_id       bigint,
    card_message_id    bigint,
    error              text,
    outcome            text,                 -- confirmed | validation_errors | unknown
    submit_started_at  timestamptz,          -- set once, before the submit click: at most one submission
    submitted_at       timestamptz,
    llm_calls          integer NOT NULL DEFAULT 0,
    llm_tokens         integer NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, job_id)
);
CREATE INDEX applications_user_status ON applications (user_id, status);

CREATE TABLE application_events (
    id              bigserial PRIMARY KEY,
    application_id  bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    from_status     text,
    to_status       text NOT NULL,
    note            text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_events_app ON application_events (application_id, id);

CREATE TABLE application_fields (
    id              bigserial PRIMARY KEY,
    application_id  bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    label           text NOT NULL,
    selector        text NOT NULL,
    intended        text,
    actual          text,
    required        boolean NOT NULL DEFAULT false,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_fields_app ON application_fields (application_id);

CREATE TABLE browser_sessions (
    id              bigserial PRIMARY KEY,
    application_id  bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    worker          text NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    heartbeat_at    timestamptz NOT NULL DEFAULT now(),   -- the worker proves it is alive
    ended_at        timestamptz,
    end_reason      text
);
CREATE INDEX browser_sessions_open ON browser_sessions (application_id) WHERE ended_at IS NULL;

CREATE TABLE prompts (
    id              bigserial PRIMARY KEY,
    application_id  bigint NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('captcha', 'question', 'review')),
    status          text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'answered', 'expired', 'cancelled')),
    payload         jsonb NOT NULL DEFAULT '{}'::jsonb,
    answer          jsonb,
    chat_id         bigint,
    message_id      bigint,
    message_html    text,                 -- what the chat shows, to mark it closed later
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    answered_at     timestamptz
);
CREATE INDEX prompts_pending ON prompts (expires_at) WHERE status = 'pending';
-- A worker waits on one thing at a time per application.
CREATE UNIQUE INDEX prompts_one_pending ON prompts (application_id) WHERE status = 'pending';
