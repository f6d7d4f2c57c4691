"""Job-site accounts against real PostgreSQL: sealed with CREDENTIALS_KEY, refused without a key, one per
user and tenant; and the setting checked when it is read."""

from __future__ import annotations

import pytest
import pytest_asyncio
from cryptography.fernet import Fernet

from bot.config import SettingsError, load_settings
from storage.credentials import (
    NO_KEY,
    AccountOrigin,
    CredentialRepository,
    CredentialSealer,
    CredentialsUnavailable,
    generate_password,
)
from storage.db import create_pool
from storage.users import UserRepository

KEY = Fernet.generate_key().decode()


@pytest_asyncio.fixture
async def pool(database_url):
    pool = await create_pool(database_url)
    yield pool
    await pool.close()


@pytest_asyncio.fixture
async def user(pool):
    return await UserRepository(pool).upsert(2002, 2002, "Ada", "ada")


async def test_an_account_is_sealed_kept_per_tenant_and_replaced(pool, user, db):
    vault = CredentialRepository(pool, CredentialSealer(KEY))
    await vault.save(
        user.id, "workday", "acme.wd5.myworkdayjobs.com", "ada@example.org", "S3cret!pass", AccountOrigin.USER
    )
    stored = await db.fetchval("SELECT password_sealed FROM ats_accounts")
    assert "S3cret!pass" not in stored and Fernet(KEY.encode()).decrypt(stored.encode()) == b"S3cret!pass"
    account = await vault.get(user.id, "workday", "acme.wd5.myworkdayjobs.com")
    assert (account.email, account.password, account.confirmed) == ("ada@example.org", "S3cret!pass", False)
    assert "S3cret" not in repr(account)
    assert await vault.get(user.id, "workday", "other.wd1.myworkdayjobs.com") is None

    await vault.confirm(user.id, "workday", "acme.wd5.myworkdayjobs.com")
    await vault.save(
        user.id, "workday", "acme.wd5.myworkdayjobs.com", "ada@example.org", "N3w!pass", AccountOrigin.CREATED
    )
    again = await vault.get(user.id, "workday", "acme.wd5.myworkdayjobs.com")
    assert (again.password, again.origin, again.confirmed) == ("N3w!pass", AccountOrigin.CREATED, False)
    await vault.forget(user.id, "workday", "acme.wd5.myworkdayjobs.com")
    assert await db.fetchval("SELECT count(*) FROM ats_accounts") == 0


async def test_without_a_key_nothing_is_stored_and_the_reason_is_said(pool, user, db):
    vault = CredentialRepository(pool, None)
    assert not vault.available
    with pytest.raises(CredentialsUnavailable, match="CREDENTIALS_KEY is not set"):
        await vault.save(user.id, "workday", "acme", "ada@example.org", "S3cret!pass", AccountOrigin.USER)
    assert await db.fetchval("SELECT count(*) FROM ats_accounts") == 0
    assert "CREDENTIALS_KEY" in NO_KEY


async def test_a_password_sealed_with_another_key_is_not_opened(pool, user):
    await CredentialRepository(pool, CredentialSealer(KEY)).save(
        user.id, "workday", "acme", "ada@example.org", "S3cret!pass", AccountOrigin.USER
    )
    other = CredentialRepository(pool, CredentialSealer(Fernet.generate_key().decode()))
    with pytest.raises(CredentialsUnavailable, match="was the key changed"):
        await other.get(user.id, "workday", "acme")


def test_generated_passwords_are_long_and_mixed():
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        assert len(password) >= 16
        assert any(c.islower() for c in password) and any(c.isupper() for c in password)
        assert any(c.isdigit() for c in password) and any(not c.isalnum() for c in password)


def test_a_malformed_credentials_key_is_named_without_echoing_it():
    with pytest.raises(SettingsError) as info:
        load_settings(_env_file=None, telegram_bot_token="1:abcdef", credentials_key="not-a-fernet-key-value")
    assert "CREDENTIALS_KEY" in str(info.value) and "not-a-fernet-key-value" not in str(info.value)
    settings = load_settings(_env_file=None, telegram_bot_token="1:abcdef", credentials_key=KEY)
    assert settings.credentials_key.get_secret_value() == KEY
    assert load_settings(_env_file=None, telegram_bot_token="1:abcdef", credentials_key="").credentials_key is None
