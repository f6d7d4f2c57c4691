-- Answers to application questions, remembered with where they came from, used first next time.

CREATE TABLE saved_answers (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    question    text NOT NULL CHECK (length(question) BETWEEN 1 AND 1000),
    answer      text NOT NULL CHECK (length(answer) <= 5000),
    source      text NOT NULL CHECK (source IN ('profile', 'user', 'chat_question', 'review_correction', 'llm')),
    application_id  bigint REFERENCES applications (id) ON DELETE SET NULL,  -- where it was given, if anywhere
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- One answer per question text (case-insensitive) per user; a new answer replaces the old one.
CREATE UNIQUE INDEX saved_answers_question ON saved_answers (user_id, lower(question));
