-- Accounts on ATS tenants that make applicants sign in (Workday): one per user and tenant, asked in
-- the chat once or created by Nyx. The password is kept only as a Fernet token sealed with
-- CREDENTIALS_KEY (storage/credentials.py); the database never holds it in clear.

CREATE TABLE ats_accounts (
    user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    vendor           text NOT NULL CHECK (length(vendor) BETWEEN 1 AND 40),
    tenant           text NOT NULL CHECK (length(tenant) BETWEEN 1 AND 300),
    email            text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    password_sealed  text NOT NULL,
    origin           text NOT NULL CHECK (origin IN ('user', 'created')),
    -- a created account exists at the vendor once its creation went through; until then a retry creates it again
    confirmed        boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, vendor, tenant)
);
