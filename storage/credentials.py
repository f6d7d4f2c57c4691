"""Accounts on ATS tenants that make applicants sign in (Workday), kept per user and tenant.

The password is sealed with Fernet (the `cryptography` package: AES-128-CBC with an HMAC, a
timestamped token) under the key in CREDENTIALS_KEY before it reaches PostgreSQL, and opened only
by the worker that signs in. Without a key nothing is stored: `CredentialsUnavailable` says so in
words fit for the user. A generated password for an account Nyx creates comes from `secrets`.
"""

from __future__ import annotations

import enum
import secrets
import string
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken

from storage.errors import UserFacingError
from storage.resilience import ResilientPool

GENERATED_PASSWORD_LENGTH = 20
# Workday's default password rules: upper and lower case letters, a digit and a special character.
_SPECIALS = "!@#$%^&*-_=+?"
_ALPHABET = string.ascii_letters + string.digits + _SPECIALS


class CredentialsUnavailable(UserFacingError):
    """Accounts cannot be kept (no key set, or the stored one was sealed with another key); the message
    is fit to show the user."""


class AccountOrigin(str, enum.Enum):
    USER = "user"  # the user's own account, e-mail and password sent in the chat
    CREATED = "created"  # created by Nyx with the profile's e-mail and a generated password


@dataclass(frozen=True)
class Account:
    """One sign-in on one tenant, opened (the password in clear, in memory only)."""

    vendor: str
    tenant: str
    email: str
    password: str
    origin: AccountOrigin
    confirmed: bool  # the vendor accepted it once (signed in, or the account was created)

    def __repr__(self) -> str:  # never print the password by accident
        return f"Account({self.vendor!r}, {self.tenant!r}, {self.email!r}, origin={self.origin.value})"


class CredentialSealer:
    """Seals and opens secrets with one Fernet key (CREDENTIALS_KEY)."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except (ValueError, TypeError) as exc:
            raise CredentialsUnavailable(
                "CREDENTIALS_KEY is not a valid key: make one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
            ) from exc

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise CredentialsUnavailable(
                "A stored password cannot be opened with the current CREDENTIALS_KEY (was the key changed?)."
            ) from None


def generate_password() -> str:
    """A strong random password that meets the usual ATS rules (every character class present)."""
    while True:
        password = "".join(secrets.choice(_ALPHABET) for _ in range(GENERATED_PASSWORD_LENGTH))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
            and any(c in _SPECIALS for c in password)
        ):
            return password


NO_KEY = (
    "I cannot keep sign-ins for job sites because CREDENTIALS_KEY is not set; the operator has to set it "
    '(see README, "Accounts on job sites") before I can apply on sites that need an account.'
)

_COLUMNS = "vendor, tenant, email, password_sealed, origin, confirmed"


class CredentialRepository:
    """Sealed accounts per (user, vendor, tenant). With no sealer it refuses to store or read anything."""

    def __init__(self, pool: ResilientPool, sealer: CredentialSealer | None) -> None:
        self._pool = pool
        self._sealer = sealer

    @property
    def available(self) -> bool:
        return self._sealer is not None

    def seal(self, secret: str) -> str:
        """A secret sealed for a moment's keeping elsewhere (a prompt's answer)."""
        return self._require().seal(secret)

    def open(self, token: str) -> str:
        return self._require().open(token)

    async def get(self, user_id: int, vendor: str, tenant: str) -> Account | None:
        sealer = self._require()
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM ats_accounts WHERE user_id = $1 AND vendor = $2 AND tenant = $3",
            user_id,
            vendor,
            tenant,
        )
        if row is None:
            return None
        return Account(
            row["vendor"],
            row["tenant"],
            row["email"],
            sealer.open(row["password_sealed"]),
            AccountOrigin(row["origin"]),
            row["confirmed"],
        )

    async def save(
        self, user_id: int, vendor: str, tenant: str, email: str, password: str, origin: AccountOrigin
    ) -> Account:
        """Keep (or replace) the account for this tenant, sealed; not yet confirmed by the vendor."""
        sealed = self._require().seal(password)
        await self._pool.execute(
            """
            INSERT INTO ats_accounts (user_id, vendor, tenant, email, password_sealed, origin)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (user_id, vendor, tenant) DO UPDATE
               SET email = EXCLUDED.email, password_sealed = EXCLUDED.password_sealed,
                   origin = EXCLUDED.origin, confirmed = false, updated_at = now()
            """,
            user_id,
            vendor,
            tenant,
            email,
            sealed,
            origin.value,
        )
        return Account(vendor, tenant, email, password, origin, False)

    async def confirm(self, user_id: int, vendor: str, tenant: str) -> None:
        """The vendor accepted the account (signed in, or created it)."""
        await self._pool.execute(
            "UPDATE ats_accounts SET confirmed = true, updated_at = now() "
            "WHERE user_id = $1 AND vendor = $2 AND tenant = $3 AND NOT confirmed",
            user_id,
            vendor,
            tenant,
        )

    async def forget(self, user_id: int, vendor: str, tenant: str) -> None:
        """The vendor refused the account: the next application asks again."""
        await self._pool.execute(
            "DELETE FROM ats_accounts WHERE user_id = $1 AND vendor = $2 AND tenant = $3", user_id, vendor, tenant
        )

    def _require(self) -> CredentialSealer:
        if self._sealer is None:
            raise CredentialsUnavailable(NO_KEY)
        return self._sealer
