"""What an adapter for a vendor behind a sign-in offers: whose tenant a page is, and getting in with an account.

The use case around it (asking the user once, keeping the account sealed) is automation.accounts.
"""

from __future__ import annotations

import enum
from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

from automation.adapters.base import FormAdapter

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.credentials import Account


class EntryOutcome(str, enum.Enum):
    SIGNED_IN = "signed in"  # the application's first step shows
    REFUSED = "refused"  # wrong e-mail or password, or the account could not be created


@dataclass(frozen=True)
class Entry:
    outcome: EntryOutcome
    detail: str = ""


class AccountForm(FormAdapter):
    """A vendor whose application starts behind a sign-in: `enter` gets from the posting to the first step."""

    vendor: str

    @abstractmethod
    async def tenant(self, browser: BrowserSession) -> str:
        """Whose site this is: accounts are kept per tenant."""

    @abstractmethod
    async def enter(self, browser: BrowserSession, account: Account, *, create: bool) -> Entry:
        """From the posting to the application's first step: sign in, or create the account first."""
