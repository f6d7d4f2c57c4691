"""What automation needs from the chat side: the one small interface the bot implements."""

from __future__ import annotations

from typing import Protocol

from automation.adapters.base import FilledForm
from automation.questions import Question
from storage.models import Application, Prompt, PromptMessage


class Notifier(Protocol):
    async def application_changed(self, application: Application) -> None:
        """Bring the application's card up to date (status, valid buttons)."""

    async def ask_review(
        self, application: Application, prompt: Prompt, form: FilledForm, live_url: str | None = None
    ) -> PromptMessage:
        """Show the filled form and ask Submit/Cancel; returns where the question was shown (with `live_url`,
        "let me do this myself" opens the live view of the browser on the form)."""

    async def ask_question(
        self, application: Application, prompt: Prompt, question: Question, live_url: str | None = None
    ) -> PromptMessage:
        """Ask one of the form's questions: its options as buttons, or a reply for free text (with `live_url`,
        the user may also fill it in the form through the live view)."""

    async def ask_captcha(
        self, application: Application, prompt: Prompt, image: bytes | None, live_url: str | None = None
    ) -> PromptMessage:
        """Ask for help with a CAPTCHA: the image's characters by reply, or solve it in the browser then Done
        (through the live view at `live_url` when there is one)."""

    async def ask_cover_letter(
        self, application: Application, prompt: Prompt, letter: str, has_usual: bool
    ) -> PromptMessage:
        """Show a cover letter written for the job: use it, go on without it, or reply with your own."""

    async def live_view_closed(self, prompt: Prompt) -> None:
        """The prompt still waits, but its browser was put away (parked): its live view button goes."""

    async def say(self, user_id: int, html: str) -> None:
        """A message of its own to the user (digest, notice)."""

    async def prompt_closed(self, prompt: Prompt) -> None:
        """The prompt is no longer answerable (expired, withdrawn): say so and remove its buttons."""
