"""The adapter interface: what filling and submitting a known ATS form yields."""

from __future__ import annotations

import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.models import Profile


class UnsupportedForm(Exception):
    """No adapter recognises the page; the message says what was found and is fit to show the user."""


@dataclass(frozen=True)
class ApplicantFiles:
    resume: Path | None
    cover_letter: Path | None = None


def normalised(value: str | None) -> str:
    """Compare values as a reader would: same characters, any case, any run of whitespace."""
    if value is None:
        return ""
    return " ".join(unicodedata.normalize("NFC", value).split()).casefold()


@dataclass
class FieldReading:
    """One field as read back from the page after filling."""

    label: str
    selector: str
    intended: str | None  # None: we had nothing to put there (e.g. an unanswered question)
    actual: str | None  # file fields: the chosen file's name
    required: bool = False

    @property
    def ok(self) -> bool:
        return self.intended is None or normalised(self.actual) == normalised(self.intended)

    @property
    def empty(self) -> bool:
        return not normalised(self.actual)


@dataclass
class FilledForm:
    ats: str
    url: str
    fields: list[FieldReading]
    screenshot: bytes  # full-page PNG of the filled form

    @property
    def problems(self) -> list[FieldReading]:
        """Fields that differ from what we meant, or required fields still empty."""
        return [field for field in self.fields if not field.ok or (field.required and field.empty)]


class SubmitOutcome(str, Enum):
    CONFIRMED = "confirmed"
    VALIDATION_ERRORS = "validation_errors"
    UNKNOWN = "unknown"


@dataclass
class SubmitResult:
    outcome: SubmitOutcome
    detail: str
    url: str


class FormAdapter(ABC):
    """Fills one ATS's application form from the profile without any LLM call."""

    name: str

    @classmethod
    @abstractmethod
    def matches_url(cls, url: str) -> bool:
        """The address alone says this ATS serves the page."""

    @classmethod
    @abstractmethod
    async def matches_page(cls, browser: BrowserSession) -> bool:
        """The current page carries this ATS's application form."""

    @classmethod
    async def embedded_form_url(cls, browser: BrowserSession) -> str | None:
        """Address of this ATS's form when the page only embeds it in a frame."""
        return None

    @abstractmethod
    async def fill(self, browser: BrowserSession, profile: Profile, files: ApplicantFiles) -> FilledForm:
        """Fill the standard fields and attach the files; never submits."""

    @abstractmethod
    async def submit(self, browser: BrowserSession) -> SubmitResult:
        """Click the form's own submit button once and report what the page then says."""
