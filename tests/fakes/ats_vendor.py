"""What the local copies of the smaller ATS vendors share: their facts as data, one server for all.

A vendor's copy (`ats_breezy.py`, `ats_recruitee.py`, ...) declares a `VendorForm`: where its
posting, form, endpoint and confirmation live, the form page's template (in `sites/<vendor>/`),
which fields its server requires and which honeypots it checks. `VendorJobSite` serves it on
127.0.0.1: the posting page links to the form; the form posts natively (multipart) to the
endpoint; the server validates and either re-renders the form with the vendor's error messages
(nothing recorded, `rejected_posts` counted) or records the submission and redirects to the
confirmation page. A filled honeypot is refused the same way, as the vendors drop such spam.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from aiohttp import web

from tests.fakes.local_site import EMAIL, LocalSite, Submission, render_template

SITES = Path(__file__).parent / "sites"
ERROR_SLOT = re.compile(r"\{\{error:([^}]+)\}\}")


@dataclass(frozen=True)
class VendorForm:
    """One vendor's application form as its copy serves it."""

    vendor: str
    company: str
    title: str
    posting_path: str
    form_path: str
    post_path: str
    thanks_path: str
    template: Path  # the form page; {{error:<field>}} marks where that field's error goes
    posting_html: str
    thanks_html: str
    required_fields: Mapping[str, str]  # field name -> the vendor's message when it is empty
    required_files: Mapping[str, str] = field(default_factory=dict)
    email_fields: tuple[str, ...] = ()
    honeypots: tuple[str, ...] = ()
    error_class: str = "error"  # the class the vendor gives a field's error message
    form_error: str = "Please correct the errors below."


@dataclass
class VendorJobSite(LocalSite):
    """Serves `form` (set by each vendor's subclass) and records what its endpoint accepts."""

    form: ClassVar[VendorForm]
    spam: int = 0  # posts refused because a honeypot was filled

    @property
    def posting_path(self) -> str:  # type: ignore[override]
        return self.form.posting_path

    @property
    def form_url(self) -> str:
        return self.url_for(self.form.form_path)

    @property
    def thanks_url(self) -> str:
        return self.url_for(self.form.thanks_path)

    def routes(self, app: web.Application) -> None:
        app.router.add_get(self.form.posting_path, self.page(self.form.posting_html))
        app.router.add_get(self.form.form_path, self._form_page)
        app.router.add_post(self.form.post_path, self._apply)
        app.router.add_get(self.form.thanks_path, self.page(self.form.thanks_html))

    async def _form_page(self, request: web.Request) -> web.Response:
        return self.html_response(render_form(self.form))

    async def _apply(self, request: web.Request) -> web.Response:
        fields, files = await self.read_multipart(request, repeated=True)
        errors = validate(self.form, fields, files)
        if any(str(fields.get(name, "")).strip() for name in self.form.honeypots):
            self.spam += 1
            errors = {**errors, "__form__": "spam"}
        if not await self.accept(Submission(fields, files), errors):
            return self.html_response(render_form(self.form, errors), status=422)
        raise web.HTTPSeeOther(self.form.thanks_path)


def validate(form: VendorForm, fields: Mapping[str, object], files: Mapping[str, tuple[str, bytes]]) -> dict[str, str]:
    """The vendor's server-side checks, keyed by field name."""
    errors = {
        name: message for name, message in form.required_fields.items() if not str(fields.get(name, "") or "").strip()
    }
    errors |= {
        name: message for name, message in form.required_files.items() if name not in files or not files[name][1]
    }
    for name in form.email_fields:
        if name not in errors and not EMAIL.match(str(fields.get(name, "")).strip()):
            errors[name] = "Please enter a valid email address"
    return errors


def render_form(form: VendorForm, errors: Mapping[str, str] | None = None) -> str:
    errors = errors or {}
    page = render_template(
        form.template,
        {
            "company": html.escape(form.company),
            "title": html.escape(form.title),
            "action": form.post_path,
            "form_error": f'<div class="form-errors" role="alert">{html.escape(form.form_error)}</div>'
            if errors
            else "",
        },
    )

    def error_slot(match: re.Match[str]) -> str:
        message = errors.get(match.group(1))
        return f'<span class="{form.error_class}">{html.escape(message)}</span>' if message else ""

    return ERROR_SLOT.sub(error_slot, page)


def simple_page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"</head><body>{body}</body></html>"
    )
