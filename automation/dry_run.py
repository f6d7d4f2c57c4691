"""Fill a form from a profile without Telegram and stop before submitting: the adapter developer's loop
(`nyx fill URL`) and what a user attaches when a form went wrong."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from automation.adapters import open_application
from automation.adapters.base import ApplicantFiles, FilledForm
from automation.browser import BrowserOptions, open_browser
from automation.captcha import Captcha, detect_captchas
from automation.urls import check_url
from storage.files import UploadedFile
from storage.models import Profile


@dataclass
class DryRun:
    url: str
    ats: str
    captchas: list[Captcha]
    form: FilledForm

    def as_json(self) -> dict:
        return {
            "url": self.url,
            "final_url": self.form.url,
            "ats": self.ats,
            "captchas": [asdict(c) for c in self.captchas],
            "fields": [
                {"label": f.label, "selector": f.selector, "intended": f.intended, "actual": f.actual,
                 "required": f.required, "ok": f.ok}
                for f in self.form.fields
            ],
            "problems": [f.label for f in self.form.problems],
        }


async def dry_run(
    url: str, profile: Profile, resume: UploadedFile | None, options: BrowserOptions, *, allow_hosts: Iterable[str] = ()
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
    return DryRun(url=url, ats=adapter.name, captchas=captchas, form=form)
