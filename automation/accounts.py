"""Signing in on ATS tenants that make applicants have an account (Workday), asked in the chat once.

The first application on a tenant asks the user how to get in: with their own account (they reply
with its e-mail and password on one line; the bot seals the reply with CREDENTIALS_KEY at once and
deletes their message from the chat) or with one Nyx creates (the profile's e-mail and a strong
generated password). The account is kept per user and tenant, sealed (storage.credentials); later
applications there sign in without asking. An account the tenant refuses is forgotten, so the next
attempt asks again.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from automation.adapters.signin import AccountForm, EntryOutcome
from automation.questions import Question, QuestionKind
from storage.credentials import (
    Account,
    AccountOrigin,
    CredentialRepository,
    CredentialsUnavailable,
    generate_password,
)
from storage.errors import UserFacingError

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from automation.parking import Progress
    from storage.models import Profile

ACCOUNT_QUESTION = "nyx:account"  # the id of the account questions: never a control, never remembered
CHOICE, LOGIN = "choice", "login"  # a prompt payload's "account": which of the two it asks
SIGN_IN = "Sign in with my account"
CREATE = "Create an account for me"
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class AccountRefused(UserFacingError):
    """The tenant refused the account; the message is fit to show the user."""


def choice_question(vendor: str, tenant: str, email: str | None) -> Question:
    created = f"with {email} and a strong password I make up" if email else "with a strong password I make up"
    label = (
        f"{tenant} ({vendor}) asks applicants to sign in. Shall I sign in with your account there, or create "
        f"one for you ({created})? I keep it sealed for the next jobs there."
    )
    return Question(ACCOUNT_QUESTION, label, QuestionKind.SELECT, (SIGN_IN, CREATE), True)


def login_question(vendor: str, tenant: str) -> Question:
    label = (
        f"Your {vendor} account on {tenant}: reply with its e-mail and password on one line, e.g. "
        '"me@example.org MyPassw0rd!". I delete your message as soon as I have read it and keep the '
        "password sealed."
    )
    return Question(ACCOUNT_QUESTION, label, QuestionKind.TEXT, (), True)


def account_payload(kind: str) -> dict[str, Any]:
    """What marks a question prompt as one of the account questions (the login one's reply is sealed)."""
    return {"account": kind, "secret": kind == LOGIN}


def parse_login(text: str) -> tuple[str, str] | None:
    """ "e-mail password" on one line (the password may hold spaces); None when it is not that."""
    email, _, password = text.strip().partition(" ")
    password = password.strip()
    if not EMAIL.fullmatch(email) or not password:
        return None
    return email, password


async def take_answer(
    credentials: CredentialRepository,
    user_id: int,
    vendor: str,
    tenant: str,
    payload: dict[str, Any],
    answer: dict[str, Any],
    progress: Progress,
) -> None:
    """Keep an account question's answer carried out after parking: the choice in the progress, a login
    (sealed by the bot) in the vault."""
    if payload.get("account") == CHOICE:
        value = str(answer.get("value", ""))
        progress.account = value if value in (SIGN_IN, CREATE) else None
    elif payload.get("account") == LOGIN and (sealed := answer.get("sealed")):
        login = parse_login(credentials.open(str(sealed)))
        if login is not None:
            await credentials.save(user_id, vendor, tenant, login[0], login[1], AccountOrigin.USER)
            progress.account = None


async def account_for(
    credentials: CredentialRepository,
    user_id: int,
    adapter: AccountForm,
    tenant: str,
    profile: Profile,
    progress: Progress,
    ask: Callable[[Question, dict[str, Any]], Awaitable[dict[str, Any]]],
) -> tuple[Account, bool]:
    """The account to enter with and whether it must be created first; asks the user when none is kept.

    `ask` shows a question prompt (with the payload's extra keys) and returns its answer.
    """
    vendor = adapter.vendor
    try:
        stored = await credentials.get(user_id, vendor, tenant)
    except CredentialsUnavailable:  # sealed with an earlier key: useless now, so it is asked for again
        await credentials.forget(user_id, vendor, tenant)
        stored = None
    if stored is not None:
        return stored, stored.origin is AccountOrigin.CREATED and not stored.confirmed
    if progress.account not in (SIGN_IN, CREATE):
        answer = await ask(choice_question(adapter.name.capitalize(), tenant, profile.email), account_payload(CHOICE))
        progress.account = str(answer.get("value", ""))
    if progress.account == CREATE:
        if not profile.email:
            raise AccountRefused("Your profile has no e-mail to create an account with; add one with /profile.")
        account = await credentials.save(
            user_id, vendor, tenant, profile.email, generate_password(), AccountOrigin.CREATED
        )
        progress.account = None
        return account, True
    answer = await ask(login_question(adapter.name.capitalize(), tenant), account_payload(LOGIN))
    sealed = answer.get("sealed")
    login = parse_login(credentials.open(str(sealed))) if sealed else None
    if login is None:  # the bot only takes a reply of that shape
        raise AccountRefused("That was not an e-mail and a password on one line; tap Retry to be asked again.")
    progress.account = None
    return await credentials.save(user_id, vendor, tenant, login[0], login[1], AccountOrigin.USER), False


async def sign_in(
    credentials: CredentialRepository,
    user_id: int,
    adapter: AccountForm,
    browser: BrowserSession,
    account: Account,
    create: bool,
) -> None:
    """Enter the tenant with the account; a refused one is forgotten (the next attempt asks again)."""
    entry = await adapter.enter(browser, account, create=create)
    if entry.outcome is not EntryOutcome.SIGNED_IN and create:
        # Created on an earlier attempt that stopped before it was confirmed: the account may well exist.
        entry = await adapter.enter(browser, account, create=False)
    if entry.outcome is EntryOutcome.SIGNED_IN:
        await credentials.confirm(user_id, account.vendor, account.tenant)
        return
    await credentials.forget(user_id, account.vendor, account.tenant)
    what = "creating an account" if create else "the sign-in"
    raise AccountRefused(
        f"{account.tenant} refused {what} ({entry.detail or 'no reason given'}); I forgot that "
        "account, so tap Retry to choose again."
    )
