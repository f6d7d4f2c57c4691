"""The adapter interface: filling a known ATS form, its open questions, reading it back, submitting it."""

from __future__ import annotations

import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from automation.adapters.vendors import VendorSignature, form_present, recognise
from automation.questions import FillSource as FillSource  # the order of work's steps, with the vocabulary
from storage.errors import UserFacingError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from browser_use import BrowserSession

    from automation.questions import Question
    from storage.models import Profile


class UnsupportedForm(UserFacingError):
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


class EmptyReason(str, Enum):
    """Why a field was left empty."""

    ASKED = "asked"  # required, nobody could answer it: the user is asked in the chat
    DECLINED = "declined"  # the profile declines and the form offers no decline option
    NO_ANSWER = "no answer known"  # nothing in the profile or saved answers says it
    OPTIONAL = "optional"  # optional and unanswered
    LEFT_ALONE = "left alone"  # marketing consent, honeypot: never filled


@dataclass
class FieldReading:
    """One field as read back from the page after filling."""

    label: str
    selector: str
    intended: str | None  # None: we had nothing to put there (e.g. an unanswered question)
    actual: str | None  # file fields: the chosen file's name
    required: bool = False
    is_question: bool = False  # one of the form's own questions, not a standard profile field
    is_file: bool = False
    source: FillSource | None = None  # who filled it (None: nobody)
    reason: EmptyReason | None = None  # why it is empty, when it is

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

    @property
    def unfilled_required(self) -> list[FieldReading]:
        """Required fields still empty that an answer could fill (not those left alone or declined)."""
        return [
            field
            for field in self.fields
            if field.required and field.empty and field.reason not in (EmptyReason.LEFT_ALONE, EmptyReason.DECLINED)
        ]

    def find(self, label: str) -> FieldReading | None:
        """The field with this label (any case or spacing)."""
        wanted = normalised(label)
        return next((field for field in self.fields if normalised(field.label) == wanted), None)


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
    """Fills one ATS's application form from the profile without any LLM call.

    One instance serves one application: `fill` remembers what it meant to put where, so that
    `questions`, `answer` and `read_back` can follow up on the same page.
    """

    name: str
    # The vendor's facts (hosts, form, fields, markup, frames); recognition is vendors.py's, shared by all.
    signature: ClassVar[VendorSignature | None] = None

    @classmethod
    def matches_url(cls, url: str) -> bool:
        """The address alone says this ATS serves the page."""
        return cls.signature is not None and cls.signature.matches_url(url)

    @classmethod
    async def matches_page(cls, browser: BrowserSession) -> bool:
        """The current page carries this ATS's application form."""
        return cls.signature is not None and await form_present(browser, cls.signature)

    @classmethod
    async def embedded_form_url(cls, browser: BrowserSession) -> str | None:
        """Address of this ATS's form when the page only embeds it in a frame or links to it."""
        if cls.signature is None:
            return None
        found = await recognise(browser, [cls.signature])
        return found.frame or found.link

    @abstractmethod
    async def fill(self, browser: BrowserSession, profile: Profile, files: ApplicantFiles) -> FilledForm:
        """Fill the standard fields and attach the files; never submits."""

    @abstractmethod
    async def questions(self, browser: BrowserSession) -> list[Question]:
        """The form's own questions still unanswered after `fill`; each `id` is the control's selector."""

    def note_sources(self, sources: Mapping[str, FillSource | None]) -> None:
        """Remember which step put answers in (question id -> source), for the readings; adapters that keep
        no plan of their fields (the agent) have nothing to attach it to."""
        self.noted_sources = {**getattr(self, "noted_sources", {}), **sources}

    @abstractmethod
    async def answer(self, browser: BrowserSession, answers: Mapping[str, str]) -> None:
        """Put answers (question id or field selector -> text) on the page, choosing options as a reader would."""

    @abstractmethod
    async def read_back(self, browser: BrowserSession) -> FilledForm:
        """Every field as the page shows it now, against what was meant to be there, with a screenshot."""

    @abstractmethod
    async def submit(self, browser: BrowserSession) -> SubmitResult:
        """Click the form's own submit button once and report what the page then says."""
