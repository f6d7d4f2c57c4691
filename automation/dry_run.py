"""Fill a form from a profile without Telegram and stop before submitting: the adapter developer's loop
(`nyx fill URL`) and what a user attaches when a form went wrong.

Runs the apply flow's order of work without asking anyone: the adapter (or the universal filler),
saved answers, one batched LLM call when a model is given, then on a form nobody recognises the agent
for required fields still empty when one is configured; what the apply flow would ask in the chat is
listed with the reason, never asked. Each field says which step filled it or why it is empty.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel

from automation.adapters import UniversalAdapter, open_application
from automation.adapters.base import ApplicantFiles, EmptyReason, FilledForm, FormAdapter, UnsupportedForm
from automation.answers import answer_questions
from automation.browser import BrowserOptions, open_browser
from automation.captcha import Captcha, detect_captchas
from automation.llm import UsageCounter
from automation.questions import option_key
from automation.urls import check_url
from storage.files import UploadedFile
from storage.models import Profile

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from automation.apply import AgentConfig


@dataclass
class DryRun:
    url: str
    ats: str
    captchas: list[Captcha]
    form: FilledForm
    llm_calls: int = 0
    agent_asked: list[str] = field(default_factory=list)  # questions the agent would have asked in the chat

    @property
    def would_ask(self) -> list[str]:
        """What the apply flow would ask the user in the chat, in the form's order."""
        asked = [f.label for f in self.form.fields if f.empty and f.reason is EmptyReason.ASKED]
        known = {option_key(question) for question in asked}
        return asked + [question for question in self.agent_asked if option_key(question) not in known]

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "final_url": self.form.url,
            "ats": self.ats,
            "captchas": [asdict(c) for c in self.captchas],
            "llm_calls": self.llm_calls,
            "fields": [
                {
                    "label": f.label,
                    "selector": f.selector,
                    "intended": f.intended,
                    "actual": f.actual,
                    "required": f.required,
                    "ok": f.ok,
                    "filled_by": f.source.value if f.source is not None and not f.empty else None,
                    "empty_because": f.reason.value if f.empty and f.reason is not None else None,
                }
                for f in self.form.fields
            ],
            "would_ask": self.would_ask,
            "problems": [f.label for f in self.form.problems],
        }


class _ListingAsker:
    """Stands in for the user when the agent asks: nobody answers, the question is listed."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def ask(self, question: str, options: list[str] | None = None) -> str | None:
        self.asked.append(question.strip().rstrip("*").strip())  # the form's required marker, as the agent copied it
        return None


async def dry_run(
    url: str,
    profile: Profile,
    resume: UploadedFile | None,
    options: BrowserOptions,
    *,
    allow_hosts: Iterable[str] = (),
    llm: BaseChatModel | None = None,
    agent: AgentConfig | None = None,
) -> DryRun:
    allowed = tuple(allow_hosts)

    async def guard(address: str) -> None:
        await check_url(address, allow_hosts=allowed)

    usage = UsageCounter()
    asker = _ListingAsker()

    async def count(calls: int, input_tokens: int, output_tokens: int) -> None:
        usage.calls += calls
        usage.input_tokens += input_tokens
        usage.output_tokens += output_tokens

    def agent_adapter(browser: BrowserSession) -> FormAdapter:
        from automation.backends.agent_adapter import agent_form_adapter

        assert agent is not None
        return agent_form_adapter(agent, options, browser, guard, asker, count)

    with tempfile.TemporaryDirectory(prefix="nyx-fill-") as tmp:
        resume_path = None
        if resume is not None:
            resume_path = Path(tmp) / resume.filename
            resume_path.write_bytes(resume.content)
        files = ApplicantFiles(resume=resume_path)
        async with open_browser(options) as browser:
            try:
                adapter = await open_application(browser, url, guard=guard)
            except UnsupportedForm:
                if agent is None:
                    raise
                adapter = agent_adapter(browser)
            captchas = await detect_captchas(browser)
            try:
                form = await adapter.fill(browser, profile, files)
                form = await _settle_without_asking(adapter, browser, profile, form, llm, usage)
                if isinstance(adapter, UniversalAdapter) and agent is not None and form.unfilled_required:
                    filled_before = {f.selector: f.source for f in form.fields if f.source and not f.empty}
                    adapter = agent_adapter(browser)
                    adapter.note_sources(filled_before)
                    form = await adapter.fill(browser, profile, files)
            finally:
                if hasattr(adapter, "close"):
                    await adapter.close()
    return DryRun(
        url=url, ats=adapter.name, captchas=captchas, form=form, llm_calls=usage.calls, agent_asked=asker.asked
    )


async def _settle_without_asking(
    adapter: FormAdapter,
    browser: BrowserSession,
    profile: Profile,
    form: FilledForm,
    llm: BaseChatModel | None,
    usage: UsageCounter,
) -> FilledForm:
    """The apply flow's next steps on the open questions (saved answers, the LLM); nobody is asked."""
    questions = await adapter.questions(browser)
    if not questions:
        return form
    sheet = await answer_questions(questions, profile, model=llm, usage=usage, profile_summary=profile.summary)
    if not sheet.values:
        return form  # nothing changed on the page since it was read
    await adapter.answer(browser, sheet.values)
    adapter.note_sources({a.question.key: a.source for a in sheet if a.value is not None})
    return await adapter.read_back(browser)
