-- The filled form's screenshot, shown again in /job details.

ALTER TABLE applications ADD COLUMN screenshot_file_id bigint REFERENCES files (id) ON DELETE SET NULL;
