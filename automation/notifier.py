"""What automation needs from the chat side: the one small interface the bot implements."""

from __future__ import annotations

from typing import Protocol

from automation.adapters.base import FilledForm
from storage.models import Application, Prompt


class Notifier(Protocol):
    async def application_changed(self, application: Application) -> None:
        """Bring the application's card up to date (status, valid buttons)."""

    async def ask_review(self, application: Application, prompt: Prompt, form: FilledForm) -> tuple[int, int]:
        """Show the filled form and ask Submit/Cancel; returns (chat_id, message_id) of the prompt."""

    async def prompt_closed(self, prompt: Prompt, outcome: str) -> None:
        """The prompt is no longer answerable (answered elsewhere, expired): remove its buttons."""
