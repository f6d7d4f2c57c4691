-- Parked prompts: a prompt can wait in PostgreSQL alone, with no worker and no browser behind it.
-- `parked_at` says no worker holds the prompt any more: its answer is carried out by a "resume" job.
-- `applications.progress` is what the worker put into the form beyond the profile (answers given,
-- corrections, the cover letter decision), so any worker can fill it again without an LLM call.
-- `profile_imports` remembers which PROFILE_FILE was seeded, so a restart changes nothing unless the
-- file itself changed.

ALTER TABLE prompts ADD COLUMN parked_at timestamptz;
CREATE INDEX prompts_latest ON prompts (application_id, id DESC);

ALTER TABLE applications ADD COLUMN progress jsonb;

CREATE TABLE profile_imports (
    user_id     bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    path        text NOT NULL,
    sha256      text NOT NULL,
    data        jsonb NOT NULL,
    resume_sha256 text,
    imported_at timestamptz NOT NULL DEFAULT now()
);
