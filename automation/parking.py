"""Parked applications: what a worker records so that any worker can fill the form again without an LLM.

While a prompt waits for the user, the application needs no browser. Before each prompt the worker
writes the application's `Progress` (every value it put into the form beyond the adapter's fill from
the profile: answers from saved answers, the LLM and the chat, corrections; the cover letter decision;
for the generic agent, its recorded run, which browser-use replays without the model)
and the form as read back (`application_fields`). After `PARK_AFTER_MINUTES` without an answer the
prompt is parked and the browser closed. The answer then enqueues a resume job: a worker opens the
form again, fills it from the profile and the progress, and compares the read-back with what the user
approved (`form_changes`) before it submits anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from automation.adapters.base import FilledForm, normalised
from storage.applications import FieldRecord

MAX_LISTED_CHANGES = 5


@dataclass
class Progress:
    """What a refill needs beyond the profile; stored as `applications.progress` (JSON)."""

    answers: dict[str, str] = field(default_factory=dict)  # control selector -> value put there
    suggested: dict[str, str] = field(default_factory=dict)  # the LLM's answers by label, saved once approved
    letter: str | None = None  # the cover letter decision (LetterDecision value) once taken
    agent: dict[str, Any] | None = None  # the generic agent's recorded run, replayed instead of asking its LLM
    account: str | None = None  # how the user chose to get an account on a sign-in tenant, while not yet stored

    def to_json(self) -> dict[str, Any]:
        return {
            "answers": self.answers,
            "suggested": self.suggested,
            "letter": self.letter,
            "agent": self.agent,
            "account": self.account,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Progress:
        data = data or {}
        return cls(
            answers={str(k): str(v) for k, v in (data.get("answers") or {}).items()},
            suggested={str(k): str(v) for k, v in (data.get("suggested") or {}).items()},
            letter=data.get("letter"),
            agent=data.get("agent"),
            account=data.get("account"),
        )


def form_changes(approved: list[FieldRecord], form: FilledForm) -> list[str]:
    """How the form read back now differs from the one the user approved; empty when it is the same.

    Every approved field must read the same; a field the review did not show counts when it is
    required or holds a value (a page that grew a field, or a value that would be sent unseen).
    """
    now = {reading.selector: reading for reading in form.fields}
    changes = []
    for field_ in approved:
        reading = now.get(field_.selector)
        if reading is None:
            changes.append(f"{field_.label} is gone")
        elif normalised(reading.actual) != normalised(field_.actual):
            changes.append(
                f"{field_.label} reads {reading.actual or 'empty'!s} instead of {field_.actual or 'empty'!s}"
            )
    seen = {field_.selector for field_ in approved}
    for reading in form.fields:
        if reading.selector not in seen and (reading.required or not reading.empty):
            changes.append(f"new field {reading.label}" + (" (required)" if reading.required else ""))
    return changes


def describe_changes(changes: list[str]) -> str:
    listed = "; ".join(changes[:MAX_LISTED_CHANGES])
    return listed + (f"; and {len(changes) - MAX_LISTED_CHANGES} more" if len(changes) > MAX_LISTED_CHANGES else "")
