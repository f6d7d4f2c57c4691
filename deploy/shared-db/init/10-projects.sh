#!/bin/sh
# Databases and roles on the shared PostgreSQL: one database per project, each owned by its own
# login role, plus `saturnus_reader`, which may only connect to nyx_venatrix and (once Nyx's
# migrations have run) read the views in its `saturnus_api` schema.
#
# The postgres image runs this once, when the data volume is first initialised. It is safe to run
# again (creates what is missing, resets the three passwords), e.g. against an existing server:
#   NYX_DB_PASSWORD=… SATURNUS_DB_PASSWORD=… SATURNUS_READER_PASSWORD=… \
#     PGHOST=… PGPASSWORD=… POSTGRES_USER=postgres sh deploy/shared-db/init/10-projects.sh
# No `set -u`: when not executable, the postgres image sources this file into its own entrypoint.
set -e

: "${NYX_DB_PASSWORD:?set NYX_DB_PASSWORD (password of the nyx_venatrix role)}"
: "${SATURNUS_DB_PASSWORD:?set SATURNUS_DB_PASSWORD (password of the saturnus role)}"
: "${SATURNUS_READER_PASSWORD:?set SATURNUS_READER_PASSWORD (password of the saturnus_reader role)}"

# Passwords travel as psql variables and are quoted by psql (:'name'), never pasted into SQL text.
psql -X -v ON_ERROR_STOP=1 \
    --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
    -v nyx_password="$NYX_DB_PASSWORD" \
    -v saturnus_password="$SATURNUS_DB_PASSWORD" \
    -v reader_password="$SATURNUS_READER_PASSWORD" \
    <<'EOSQL'
-- Roles. \gexec runs the generated statement only when the role is missing.
SELECT format('CREATE ROLE %I LOGIN', wanted.role_name)
FROM unnest(ARRAY['nyx_venatrix', 'saturnus', 'saturnus_reader']) AS wanted(role_name)
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = wanted.role_name)
\gexec

ALTER ROLE nyx_venatrix    WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'nyx_password';
ALTER ROLE saturnus        WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'saturnus_password';
ALTER ROLE saturnus_reader WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'reader_password';
-- Belt and braces: even a grant made by mistake cannot let the reader write.
ALTER ROLE saturnus_reader SET default_transaction_read_only = on;

-- Databases, each owned by its project's role.
SELECT format('CREATE DATABASE %I OWNER %I', wanted.project, wanted.project)
FROM unnest(ARRAY['nyx_venatrix', 'saturnus']) AS wanted(project)
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = wanted.project)
\gexec

-- Nobody connects to a project's database unless granted: owners (and superusers) can,
-- saturnus_reader may connect to nyx_venatrix only.
REVOKE ALL ON DATABASE nyx_venatrix FROM PUBLIC;
REVOKE ALL ON DATABASE saturnus FROM PUBLIC;
GRANT CONNECT ON DATABASE nyx_venatrix TO saturnus_reader;
EOSQL
