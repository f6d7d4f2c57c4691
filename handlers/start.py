"""/start and /help: what the bot does and how to begin."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import BotCommand, Message

COMMANDS = [
    BotCommand(command="start", description="What Nyx does and how to begin"),
    BotCommand(command="help", description="The commands"),
    BotCommand(command="profile", description="Set up or change the profile used to fill forms"),
    BotCommand(command="answers", description="Your saved answers to application questions"),
    BotCommand(command="jobs", description="Your applications and their status"),
    BotCommand(command="job", description="One application in detail: /job 12"),
    BotCommand(command="retry", description="Try a failed or timed-out application again: /retry 12"),
    BotCommand(command="cancel", description="Stop an application: /cancel 12"),
    BotCommand(command="pause", description="Stop starting new applications"),
    BotCommand(command="resume", description="Start applying again"),
    BotCommand(command="stats", description="Your numbers"),
    BotCommand(command="digest", description="Today's digest now, with its buttons"),
    BotCommand(command="export", description="All applications as a CSV file"),
    BotCommand(command="settings", description="Thresholds, daily cap, digest time, review"),
]

WELCOME = (
    "👋 <b>Nyx Venatrix</b> applies to jobs for you.\n\n"
    "1. Send /profile: I read your résumé (PDF or DOCX) and ask a few questions. "
    "(A YAML or JSON profile file works too.)\n"
    "2. Forward job posts or paste job links.\n"
    "3. Tap <b>Apply</b> on a job: I open the application form in a browser and fill it in.\n"
    "4. You review a screenshot and the values I entered, and nothing is sent until you tap <b>Submit</b>."
)


def help_text() -> str:
    lines = ["<b>Commands</b>"] + [f"/{c.command} — {c.description}" for c in COMMANDS]
    lines += ["", "Send a link or forward a job post to start an application."]
    return "\n".join(lines)


async def on_start(message: Message) -> None:
    await message.answer(WELCOME)


async def on_help(message: Message) -> None:
    await message.answer(help_text())


def router() -> Router:
    """The handlers above on a router of their own (a fresh one for each dispatcher)."""
    r = Router(name=__name__)
    r.message.register(on_start, CommandStart())
    r.message.register(on_help, Command("help"))
    return r
