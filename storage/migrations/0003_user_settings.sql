-- Per-user preferences, changed from /settings, and the pause switch of /pause and /resume.

CREATE TABLE user_settings (
    user_id               bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    paused                boolean NOT NULL DEFAULT false,
    auto_apply_threshold  integer CHECK (auto_apply_threshold BETWEEN 0 AND 100),  -- NULL: never auto-apply
    skip_threshold        integer NOT NULL DEFAULT 40 CHECK (skip_threshold BETWEEN 0 AND 100),
    daily_cap             integer NOT NULL DEFAULT 20 CHECK (daily_cap BETWEEN 1 AND 500),
    digest_time           time NOT NULL DEFAULT '09:00',
    time_zone             text NOT NULL DEFAULT 'UTC',
    review_required       boolean NOT NULL DEFAULT true,
    last_digest_on        date,                 -- the user's local date of the last digest sent
    updated_at            timestamptz NOT NULL DEFAULT now()
);
