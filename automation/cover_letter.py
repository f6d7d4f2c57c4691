"""A cover letter written for one job (the "tailored" effort): one LLM call, then a PDF to upload.

The model writes only the body of the letter, from the candidate's own facts and the posting;
the greeting and the sign-off are ours, so the candidate's name comes from the profile and no
contact details are sent to the model. The worker shows the letter in the chat before using it
(automation.apply): the user approves it, replies with their own version, or goes on without it.
"""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from automation.llm import LLMError, UsageCounter, ask_structured
from storage.files import UploadedFile
from storage.models import Profile

MAX_LETTER_CHARS = 3000  # the letter and its heading fit one Telegram message (4096)
MIN_LETTER_CHARS = 80  # shorter than this is not a letter (a stray reply)
MAX_PARAGRAPHS = 5
MAX_PROMPT_SUMMARY = 6000
MAX_PROMPT_JOB = 4000
PDF_TYPE = "application/pdf"

_SYSTEM_PROMPT = """You write the body of a cover letter for a job application.
Use only facts the candidate's résumé and details state; never invent employers, titles, degrees,
numbers or skills. Connect the candidate's real experience to what the job asks for, plainly and
specifically, in the candidate's voice (first person). Three or four short paragraphs, 150 to 300
words in all. No greeting, no sign-off, no placeholders, no contact details: those are added later.
Write in the language of the job posting."""


class LetterBody(BaseModel):
    paragraphs: list[str] = Field(description="The letter's body: three or four paragraphs, plain text each")


async def write_cover_letter(
    model: BaseChatModel,
    profile: Profile,
    *,
    company: str | None,
    job_context: str,
    usage: UsageCounter | None = None,
) -> str:
    """The whole letter (greeting, body, sign-off) as plain text; raises LLMError when none could be written."""
    messages = [SystemMessage(_SYSTEM_PROMPT), HumanMessage(_prompt(profile, job_context))]
    body = await ask_structured(model, LetterBody, messages, usage=usage)
    paragraphs = [" ".join(p.split()) for p in body.paragraphs if p.strip()][:MAX_PARAGRAPHS]
    if not paragraphs:
        raise LLMError("the LLM wrote an empty cover letter")
    letter = compose(paragraphs, profile, company)
    if len(letter) > MAX_LETTER_CHARS:
        raise LLMError(f"the LLM wrote a cover letter of {len(letter)} characters (at most {MAX_LETTER_CHARS})")
    return letter


def compose(paragraphs: list[str], profile: Profile, company: str | None) -> str:
    greeting = f"Dear {company} hiring team," if company else "Dear hiring team,"
    return "\n\n".join([greeting, *paragraphs, f"Kind regards,\n{profile.full_name}"])


def letter_problem(text: str) -> str | None:
    """Why the user's own text cannot be used as their letter, or None when it can."""
    length = len(text.strip())
    if length < MIN_LETTER_CHARS:
        return f"That is {length} characters; a cover letter needs at least {MIN_LETTER_CHARS}."
    if length > MAX_LETTER_CHARS:
        return f"That is {length} characters; a cover letter may have up to {MAX_LETTER_CHARS}."
    return None


def letter_file(text: str, profile: Profile, *, title: str | None = None) -> UploadedFile:
    """The letter as a one-page PDF named after the candidate, ready to upload and to keep."""
    name = re.sub(r"[^\w .-]+", "", profile.full_name).strip() or "Candidate"
    return UploadedFile(f"{name} - Cover letter.pdf", PDF_TYPE, _pdf(text, author=profile.full_name, title=title))


def _prompt(profile: Profile, job_context: str) -> str:
    lines = ["Candidate:", f"- Name: {profile.full_name}"]
    if profile.headline:
        lines.append(f"- Headline: {profile.headline}")
    if profile.current_company:
        lines.append(f"- Current company: {profile.current_company}")
    if profile.years_experience is not None:
        lines.append(f"- Years of experience: {profile.years_experience:g}")
    if profile.skills:
        lines.append("- Skills: " + ", ".join(profile.skills))
    if profile.location:
        lines.append(f"- Location: {profile.location}")
    if profile.summary and profile.summary.strip():
        lines += ["- Résumé:", profile.summary.strip()[:MAX_PROMPT_SUMMARY]]
    lines += ["", "Job:", job_context.strip()[:MAX_PROMPT_JOB] or "(no description; only the title is known)"]
    return "\n".join(lines)


def _pdf(text: str, *, author: str, title: str | None) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=2.5 * cm,
        rightMargin=2.5 * cm,
        topMargin=2.5 * cm,
        bottomMargin=2.5 * cm,
        title=title or "Cover letter",
        author=author,
    )
    style = getSampleStyleSheet()["BodyText"]
    style.fontSize, style.leading = 11, 15
    story = []
    for paragraph in text.strip().split("\n\n"):
        story += [Paragraph(escape(paragraph).replace("\n", "<br/>"), style), Spacer(1, 0.35 * cm)]
    document.build(story)
    return out.getvalue()
