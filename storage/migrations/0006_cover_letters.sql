-- A cover letter written for one job ("tailored" effort): asked for approval in the chat and
-- kept with the application, so what the employer received can be read again.

ALTER TABLE prompts DROP CONSTRAINT prompts_kind_check;
ALTER TABLE prompts ADD CONSTRAINT prompts_kind_check
    CHECK (kind IN ('captcha', 'question', 'review', 'cover_letter'));

ALTER TABLE applications ADD COLUMN cover_letter_file_id bigint REFERENCES files (id) ON DELETE SET NULL;
