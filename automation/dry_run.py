"""Fill a form from a profile without Telegram and stop before submitting: the adapter developer's loop
(`nyx fill URL`) and what a user attaches when a form went wrong.

Runs the apply flow's order of work without asking anyone: the adapter (or the universal filler),
saved answers, then one batched LLM call when a model is given; what the apply flow would ask in
the chat is listed with the reason, never asked. Each field says which step filled it or why it is
empty.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from automation.adapters import open_application
from automation.adapters.base import ApplicantFiles, FilledForm, FormAdapter
from automation.adapters.planned import answer_source
from automation.answers import answer_questions
from automation.browser import BrowserOptions, open_browser
from automation.captcha import Captcha, detect_captchas
from automation.llm import UsageCounter
from automation.urls import check_url
from storage.files import UploadedFile
from storage.models import Profile


@dataclass
class DryRun:
    url: str
    ats: str
    captchas: list[Captcha]
    form: FilledForm
    llm_calls: int = 0

    def as_json(self) -> dict:
        return {
            "url": self.url,
            "final_url": self.form.url,
            "ats": self.ats,
            "captchas": [asdict(c) for c in self.captchas],
            "llm_calls": self.llm_calls,
            "fields": [
                {"label": f.label, "selector": f.selector, "intended": f.intended, "actual": f.actual,
                 "required": f.required, "ok": f.ok,
                 "filled_by": f.source.value if f.source is not None and not f.empty else None,
                 "empty_because": f.reason.value if f.empty and f.reason is not None else None}
                for f in self.form.fields
            ],
            "problems": [f.label for f in self.form.problems],
        }


async def dry_run(
    url: str,
    profile: Profile,
    resume: UploadedFile | None,
    options: BrowserOptions,
    *,
    allow_hosts: Iterable[str] = (),
    llm: BaseChatModel | None = None,
) -> DryRun:
    allowed = tuple(allow_hosts)

    async def guard(address: str) -> None:
        await check_url(address, allow_hosts=allowed)

    with tempfile.TemporaryDirectory(prefix="nyx-fill-") as tmp:
        resume_path = None
        if resume is not None:
            resume_path = Path(tmp) / resume.filename
            resume_path.write_bytes(resume.content)
        async with open_browser(options) as browser:
            adapter = await open_application(browser, url, guard=guard)
            captchas = await detect_captchas(browser)
            form = await adapter.fill(browser, profile, ApplicantFiles(resume=resume_path))
            form, calls = await _settle_without_asking(adapter, browser, profile, form, llm)
    return DryRun(url=url, ats=adapter.name, captchas=captchas, form=form, llm_calls=calls)


async def _settle_without_asking(
    adapter: FormAdapter, browser, profile: Profile, form: FilledForm, llm: BaseChatModel | None
) -> tuple[FilledForm, int]:
    """The apply flow's next steps on the open questions (saved answers, the LLM); nobody is asked."""
    questions = await adapter.questions(browser)
    if not questions:
        return form, 0
    usage = UsageCounter()
    sheet = await answer_questions(questions, profile, model=llm, usage=usage, profile_summary=profile.summary)
    if not sheet.values:
        return form, usage.calls  # nothing changed on the page since it was read
    await adapter.answer(browser, sheet.values)
    adapter.note_sources({a.question.id: answer_source(a.source) for a in sheet if a.value is not None})
    return await adapter.read_back(browser), usage.calls
