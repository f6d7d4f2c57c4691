"""A company's own application form with every kind of open question, served on 127.0.0.1; every POST
is recorded.

Profile fields and a résumé; a sponsorship question and a gender question the profile settles; three
general questions (two required) for the one batched LLM call; and a required salary question that only
the user may answer (the profile states no salary).
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from tests.fakes.local_site import LocalSite, Submission

PAGE = Path(__file__).resolve().parent / "sites" / "questions_form" / "apply.html"

SPONSORSHIP = "Will you now or in the future require visa sponsorship to work in the United States?"
GENDER = "Gender"
WHY = "Why do you want to work at Orbital Freight?"
LANGUAGE = "Which programming language do you enjoy most?"
PROUD = "Tell us about a project you are proud of."
GENERAL = (WHY, LANGUAGE, PROUD)
SALARY = "What are your salary expectations for this role?"


class QuestionsFormSite(LocalSite):
    posting_path = "/jobs/platform-engineer/apply"

    def routes(self, app: web.Application) -> None:
        app.router.add_get(self.posting_path, self.page(PAGE.read_text(encoding="utf-8")))

        async def record_post(request: web.Request) -> web.Response:
            fields, files = await self.read_multipart(request)
            await self.record(Submission(fields, files))
            return self.html_response("<p>Thank you for applying! Your application was received.</p>")

        app.router.add_post("/apply", record_post)
