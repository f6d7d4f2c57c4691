"""The automation backend interface: fill a form for a profile, ask the user through an Asker,
submit only after the user approved the review; and what a filled field was meant to say.

A backend is what fills forms no adapter knows (DESIGN.md, "Filling a form", step 3). It yields
the same `FilledForm` and `SubmitResult` as the adapters, so review and submit-once in the apply
task do not care who filled the form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from automation.adapters.base import ApplicantFiles, FieldReading, FilledForm, SubmitResult, normalised
from automation.adapters.profile_values import saved_answer
from automation.answers import profile_field
from automation.questions import option_key
from storage.errors import UserFacingError

if TYPE_CHECKING:
    from storage.models import Profile


@runtime_checkable
class Asker(Protocol):
    """Asks the user one question in the chat (implemented on top of the prompts bridge)."""

    async def ask(self, question: str, options: list[str] | None = None) -> str | None:
        """The user's answer, or None when nobody answered in time."""


@runtime_checkable
class FormBackend(Protocol):
    name: str

    async def fill(self, url: str, profile: Profile, files: ApplicantFiles, asker: Asker) -> FilledForm:
        """Open the form at `url` and fill it; never submits."""

    async def submit(self) -> SubmitResult:
        """Submit the filled form once; only after the user approved the review."""

    async def close(self) -> None:
        """Release the browser or remote task; safe to call more than once."""


@dataclass(frozen=True)
class AgentUsage:
    """What one fill cost: agent steps, model calls and tokens."""

    steps: int
    llm_calls: int
    input_tokens: int
    output_tokens: int


class BackendError(UserFacingError, RuntimeError):
    """The backend could not fill or submit; the message is one sentence fit for the user."""


class SubmittedWithoutApproval(BackendError):
    """The page (or remote service) shows a submitted application before the user approved it."""


# --- What a field was meant to say, by its label --------------------------------------------

_RESUME_LABEL = re.compile(r"\b(resume|cv|curriculum)\b")
_COVER_LETTER_LABEL = re.compile(r"\bcover ?letter\b")


def intended_value(
    label: str, kind: str, profile: Profile, files: ApplicantFiles, answers: Mapping[str, str | None]
) -> str | None:
    """What we meant this field to show, or None when we had nothing certain for it.

    Profile fields (name, e-mail, phone, location, links) come from the profile; files show
    their name; a question carries the user's answer given during this fill, else the saved one.
    """
    if kind == "file":
        key = option_key(label)
        if _COVER_LETTER_LABEL.search(key):
            return files.cover_letter.name if files.cover_letter else None
        if _RESUME_LABEL.search(key):
            return files.resume.name if files.resume else None
        return None
    if kind in ("text", "textarea") and (known := profile_field(label, profile)) is not None:
        return known[1]
    given = next((answer for question, answer in answers.items() if _same_question(question, label)), None)
    return given if given is not None else saved_answer(label, profile)


def _same_question(asked: str, label: str) -> bool:
    """The asked question and the label say the same thing (case, punctuation and a '*' aside)."""
    return normalised(asked) == normalised(label) or (
        bool(option_key(asked)) and option_key(asked) == option_key(label)
    )


def reading(
    label: str,
    selector: str,
    kind: str,
    actual: str | None,
    required: bool,
    profile: Profile,
    files: ApplicantFiles,
    answers: Mapping[str, str | None],
) -> FieldReading:
    """One field read back from a page a backend filled, with what we meant it to show."""
    is_file = kind == "file"
    return FieldReading(
        label=label,
        selector=selector,
        intended=intended_value(label, kind, profile, files, answers),
        actual=actual,
        required=required,
        is_question=not is_file and profile_field(label, profile) is None,
        is_file=is_file,
    )


__all__ = [
    "AgentUsage",
    "ApplicantFiles",
    "Asker",
    "BackendError",
    "FilledForm",
    "FormBackend",
    "SubmitResult",
    "SubmittedWithoutApproval",
    "intended_value",
    "reading",
]
