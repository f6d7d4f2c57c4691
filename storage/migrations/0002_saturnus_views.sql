-- Read-only views for Saturnus (the sibling e-mail manager). Documented in docs/shared-database.md.

CREATE SCHEMA IF NOT EXISTS saturnus_api;

CREATE VIEW saturnus_api.application_history AS
SELECT a.id            AS application_id,
       a.user_id       AS telegram_user_id,
       j.url           AS job_url,
       j.canonical_url AS job_canonical_url,
       j.host          AS job_host,
       j.title         AS job_title,
       j.company       AS company,
       a.status,
       a.outcome,
       a.submitted_at,
       a.created_at,
       a.updated_at
FROM applications a
JOIN jobs j ON j.id = a.job_id;

CREATE VIEW saturnus_api.application_events AS
SELECT e.application_id, e.from_status, e.to_status, e.note, e.created_at
FROM application_events e;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'saturnus_reader') THEN
        EXECUTE 'GRANT USAGE ON SCHEMA saturnus_api TO saturnus_reader';
        EXECUTE 'GRANT SELECT ON ALL TABLES IN SCHEMA saturnus_api TO saturnus_reader';
    END IF;
END
$$;
