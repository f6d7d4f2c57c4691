"""Domain records: the profile, applications, prompts and the application state machine."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator


class ApplicationStatus(str, enum.Enum):
    RECEIVED = "received"
    SCORED = "scored"
    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"
    RUNNING = "running"
    WAITING_USER = "waiting_user"
    SUBMITTED = "submitted"
    SKIPPED = "skipped"
    REJECTED = "rejected"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.SKIPPED,
        ApplicationStatus.REJECTED,
        ApplicationStatus.FAILED,
        ApplicationStatus.TIMED_OUT,
        ApplicationStatus.CANCELLED,
    }
)

S = ApplicationStatus
# Every legal move of an application; anything else is refused by the repository.
TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    S.RECEIVED: frozenset({S.SCORED, S.AWAITING_APPROVAL, S.SKIPPED, S.REJECTED, S.FAILED, S.CANCELLED}),
    S.SCORED: frozenset({S.AWAITING_APPROVAL, S.QUEUED, S.SKIPPED, S.CANCELLED}),
    S.AWAITING_APPROVAL: frozenset({S.QUEUED, S.SKIPPED, S.CANCELLED, S.TIMED_OUT}),
    S.QUEUED: frozenset({S.RUNNING, S.CANCELLED, S.FAILED}),
    S.RUNNING: frozenset({S.WAITING_USER, S.SUBMITTED, S.FAILED, S.CANCELLED, S.TIMED_OUT, S.QUEUED}),
    S.WAITING_USER: frozenset({S.RUNNING, S.CANCELLED, S.TIMED_OUT, S.FAILED, S.QUEUED}),
    # Retrying puts a finished-but-unsuccessful application back in the queue.
    S.FAILED: frozenset({S.QUEUED}),
    S.TIMED_OUT: frozenset({S.QUEUED}),
    S.SKIPPED: frozenset({S.QUEUED}),
    S.CANCELLED: frozenset({S.QUEUED}),
    S.SUBMITTED: frozenset(),
    S.REJECTED: frozenset(),
}
del S


class PromptKind(str, enum.Enum):
    CAPTCHA = "captcha"
    QUESTION = "question"
    REVIEW = "review"
    COVER_LETTER = "cover_letter"


class PromptStatus(str, enum.Enum):
    PENDING = "pending"
    ANSWERED = "answered"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class ReviewDecision(str, enum.Enum):
    SUBMIT = "submit"
    CANCEL = "cancel"
    FIX = "fix"  # change one field, then review again
    BY_HAND = "by_hand"  # fields changed by the user in the live view ("Done" there): read back, review again


class QuestionDecision(str, enum.Enum):
    """A question's answer that is not a value (a value comes as {"value": …})."""

    BY_HAND = "by_hand"  # typed into the form by the user through the live view: read it back from the page


class LetterDecision(str, enum.Enum):
    """The answer to a cover letter written for one job."""

    USE = "use"  # the letter as shown, or the user's own version of it
    WITHOUT = "without"  # apply with the usual cover letter from the profile, if any


class Links(BaseModel):
    model_config = ConfigDict(extra="allow")

    linkedin: str | None = None
    github: str | None = None
    portfolio: str | None = None
    website: str | None = None


DECLINE = "decline"


class RemotePreference(str, enum.Enum):
    REMOTE = "remote"
    HYBRID = "hybrid"
    ONSITE = "onsite"
    ANY = "any"


class Eeo(BaseModel):
    """Voluntary self-identification; "decline" (the default) answers "decline to self-identify"."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    gender: str = Field(default=DECLINE, max_length=100)
    race: str = Field(default=DECLINE, max_length=100)
    veteran: str = Field(default=DECLINE, max_length=100)
    disability: str = Field(default=DECLINE, max_length=100)


class Profile(BaseModel):
    """What the bot fills forms with. Loaded from YAML/JSON or the /profile dialog, stored as JSONB."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    email: EmailStr
    phone: str | None = Field(default=None, max_length=40)
    location: str | None = Field(default=None, max_length=200)
    links: Links = Field(default_factory=Links)
    resume_path: str | None = Field(
        default=None, description="Path of the résumé file when loaded from a file; its bytes are stored."
    )
    cover_letter_path: str | None = None
    headline: str | None = Field(default=None, max_length=200, description="e.g. Senior Backend Engineer")
    current_company: str | None = Field(default=None, max_length=200)
    years_experience: float | None = Field(default=None, ge=0, le=70)
    summary: str | None = Field(default=None, max_length=20_000, description="Résumé text, for matching")
    skills: list[str] = Field(default_factory=list, max_length=200)
    # Legal and preferences: never guessed; asked in the chat when a form needs them and they are unset.
    work_authorization: list[str] = Field(
        default_factory=list, description="Countries/regions you may work in without sponsorship, e.g. [UK, EU]"
    )
    needs_sponsorship: bool | None = None
    salary_expectation: str | None = Field(default=None, max_length=100)
    notice_period: str | None = Field(default=None, max_length=100)
    willing_to_relocate: bool | None = None
    remote_preference: RemotePreference | None = None
    eeo: Eeo = Field(default_factory=Eeo)
    answers: dict[str, str] = Field(default_factory=dict, description="Saved answers: question -> answer")

    @field_validator("phone")
    @classmethod
    def _phone_digits(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = sum(ch.isdigit() for ch in value)
        if digits < 5 or any(ch not in "0123456789+-() ." for ch in value):
            raise ValueError("phone must be digits with optional + - ( ) . and spaces")
        return value

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class StoredFile(BaseModel):
    id: int
    filename: str
    content_type: str
    content: bytes


class Application(BaseModel):
    id: int
    user_id: int
    job_id: int
    url: str
    canonical_url: str
    status: ApplicationStatus
    title: str | None = None
    company: str | None = None
    location: str | None = None
    score: float | None = None
    score_reasons: dict[str, Any] | None = None  # {"reasons": [...], "missing": [...], "effort": ..., "source": ...}
    card_chat_id: int | None = None
    card_message_id: int | None = None
    error: str | None = None
    outcome: str | None = None
    submit_started_at: datetime | None = None
    submitted_at: datetime | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def submit_claimed(self) -> bool:
        """The submit click was claimed: the form may have been sent, so it is never cancelled or sent again."""
        return self.submit_started_at is not None


@dataclass(frozen=True)
class PromptMessage:
    """Where a prompt was shown in the chat, and what it said."""

    chat_id: int
    message_id: int
    html: str


class Prompt(BaseModel):
    id: int
    application_id: int
    user_id: int
    kind: PromptKind
    status: PromptStatus
    payload: dict[str, Any]
    answer: dict[str, Any] | None = None
    chat_id: int | None = None
    message_id: int | None = None
    message_html: str | None = None
    expires_at: datetime
    created_at: datetime
    answered_at: datetime | None = None
    parked_at: datetime | None = None  # no worker holds it: its answer is carried out by a resume job

    @property
    def is_overdue(self) -> bool:
        return self.expires_at <= datetime.now(UTC)
