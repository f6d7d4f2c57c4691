"""Answers to an application form's custom questions, and the one LLM call for them.

The order for each question (see `automation.questions` for the model and the matching): a
saved answer that means the same question; a plain profile field (name, e-mail, links, ...);
for demographic questions the form's "decline to answer" option; for general questions one
LLM call shared by all of them. Anything left, and every legal, salary or years-of-experience
question without a saved answer, is for the user.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from automation.llm import LLMError, UsageCounter, ask_structured
from automation.questions import (
    FillSource,
    Question,
    QuestionClass,
    QuestionKind,
    SavedMatch,
    classify,
    decline_option,
    find_saved_answer,
    fit_answer,
    plain_text,
    same_option,
)
from storage.models import Profile

log = logging.getLogger(__name__)

#: LLM answers less sure than this go to the user instead.
MIN_LLM_CONFIDENCE = 0.5
MAX_TEXT_ANSWER = 500
MAX_TEXTAREA_ANSWER = 5000
MAX_PROMPT_SUMMARY = 6000
MAX_PROMPT_JOB = 4000
MAX_PROMPT_SAVED_ANSWERS = 30
MAX_SAVED_QUESTION = 500
MAX_SAVED_ANSWER = 5000


@dataclass(frozen=True)
class Answer:
    """What to put in one question, where it came from, and whether the user must be asked."""

    question: Question
    value: str | None
    source: FillSource | None  # the step of the order of work that answered it; None: nobody could
    reason: str
    question_class: QuestionClass = QuestionClass.GENERAL

    @property
    def needs_user(self) -> bool:
        """Nothing to put there: ask the user (the worker may leave optional questions blank)."""
        return self.value is None


@dataclass
class AnswerSheet:
    """The answers to a form's questions, in the questions' order."""

    answers: list[Answer] = field(default_factory=list)

    def __iter__(self) -> Iterator[Answer]:
        return iter(self.answers)

    def __len__(self) -> int:
        return len(self.answers)

    @property
    def needs_user(self) -> list[Answer]:
        return [answer for answer in self.answers if answer.needs_user]

    @property
    def values(self) -> dict[str, str]:
        """Question key (its selector) -> value, for the answered questions."""
        return {answer.question.key: answer.value for answer in self.answers if answer.value is not None}

    def for_question(self, question_id: str) -> Answer | None:
        return next((answer for answer in self.answers if answer.question.key == question_id), None)


# --------------------------------------------------------------------------- profile fields


def _field_label(name: str) -> re.Pattern[str]:
    """A label that is nothing but the field's name, perhaps politely asked ("What is your LinkedIn URL?")."""
    ask = r"(?:(?:what is|what s|please (?:provide|enter|share)|provide|enter|share) )?(?:your )?"
    return re.compile(rf"^{ask}(?:{name})(?: (?:url|link|address|number|profile|handle))*$")


# Whole-label matches only: "LinkedIn profile" is a field, "Were you referred through LinkedIn?" is a question.
_PROFILE_FIELDS: tuple[tuple[str, re.Pattern[str], Callable[[Profile], str | None]], ...] = (
    ("LinkedIn profile", _field_label(r"linked ?in"), lambda profile: profile.links.linkedin),
    ("GitHub profile", _field_label(r"git ?hub"), lambda profile: profile.links.github),
    (
        "portfolio",
        _field_label(r"portfolio(?: web ?site)?"),
        lambda profile: profile.links.portfolio or profile.links.website,
    ),
    (
        "website",
        _field_label(r"(?:personal )?(?:web ?site|site|homepage|blog)"),
        lambda profile: profile.links.website or profile.links.portfolio,
    ),
    ("first name", _field_label(r"(?:first|given|fore) ?name"), lambda profile: profile.first_name),
    ("last name", _field_label(r"(?:last|family|sur) ?name"), lambda profile: profile.last_name),
    ("name", _field_label(r"(?:full |legal )?name"), lambda profile: profile.full_name),
    ("e-mail", _field_label(r"e ?mail"), lambda profile: str(profile.email)),
    ("phone", _field_label(r"(?:phone|mobile|telephone|cell)(?: phone)?"), lambda profile: profile.phone),
    (
        "location",
        _field_label(
            r"(?:current )?(?:location(?: city)?|city(?: of residence)?)|where are you "
            r"(?:currently )?(?:based|located)"
        ),
        lambda profile: profile.location,
    ),
)


def profile_field(label: str, profile: Profile) -> tuple[str, str | None] | None:
    """(field name, value) when the label asks for a profile field (name, e-mail, phone, location, links)."""
    plain = plain_text(label)
    for name, pattern, read in _PROFILE_FIELDS:
        if pattern.match(plain):
            return name, read(profile)
    return None


# --------------------------------------------------------------------------- answering


async def answer_questions(
    questions: Sequence[Question],
    profile: Profile,
    *,
    model: BaseChatModel | None = None,
    usage: UsageCounter | None = None,
    profile_summary: str | None = None,
    job_context: str | None = None,
) -> AnswerSheet:
    """Answer what can be answered; at most one LLM call, for general questions only.

    `profile_summary` (résumé text) and `job_context` (the posting) help the LLM; neither is required.
    """
    answers: list[Answer | None] = []
    for_llm: list[tuple[int, Question]] = []
    for index, question in enumerate(questions):
        answer = _answer_without_llm(question, profile)
        if answer is None and model is not None:
            for_llm.append((index, question))
        elif answer is None:
            answer = _unanswered(question, QuestionClass.GENERAL, "no saved answer and no LLM configured")
        answers.append(answer)
    if for_llm:
        assert model is not None
        for index, answer in _llm_answers(
            for_llm, await _llm_batch(for_llm, profile, model, usage, profile_summary, job_context)
        ):
            answers[index] = answer
    return AnswerSheet([answer for answer in answers if answer is not None])


def _answer_without_llm(question: Question, profile: Profile) -> Answer | None:
    """The answer from saved answers, the profile or the EEO default; None when only the LLM could help."""
    question_class = classify(question.label)
    saved = find_saved_answer(question.label, profile.answers)
    if saved is not None:
        return _from_saved(question, question_class, saved)
    if (field_value := profile_field(question.label, profile)) is not None:
        return _from_profile(question, question_class, *field_value)
    if question_class is QuestionClass.DEMOGRAPHIC and (decline := decline_option(question.options)):
        return Answer(
            question,
            decline,
            FillSource.UNIVERSAL,
            "demographic question with no saved answer: declined to answer",
            question_class,
        )
    if question_class.sensitive:
        return _unanswered(
            question,
            question_class,
            f"{question_class.value.replace('_', ' ')} question with no saved answer: never guessed",
        )
    return None


def _from_saved(question: Question, question_class: QuestionClass, saved: SavedMatch) -> Answer:
    fitted = fit_answer(saved.answer, question)
    if fitted is None:
        return _unanswered(
            question, question_class, f'your saved answer "{_short(saved.answer)}" fits none of the options'
        )
    how = "saved answer" if saved.exact else f'saved answer to "{_short(saved.question)}"'
    return Answer(question, fitted, FillSource.SAVED, how, question_class)


def _from_profile(question: Question, question_class: QuestionClass, name: str, value: str | None) -> Answer:
    """A profile field; when the profile lacks it the LLM would not know it either."""
    if not value:
        return _unanswered(question, question_class, f"your profile has no {name}")
    fitted = fit_answer(value, question)
    if fitted is None:
        return _unanswered(question, question_class, f"your profile's {name} fits none of the options")
    return Answer(question, fitted, FillSource.UNIVERSAL, f"your profile's {name}", question_class)


def _unanswered(question: Question, question_class: QuestionClass, reason: str) -> Answer:
    return Answer(question, None, None, reason, question_class)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------- the one LLM call


class _LLMAnswer(BaseModel):
    question_id: str = Field(description="The id of the question answered, e.g. q1")
    answer: str | None = Field(description="The answer, or null when the candidate's information does not say")
    confidence: float = Field(description="0 to 1: how sure you are this is right for this candidate")


class AnsweredQuestions(BaseModel):
    """Answers to the application form's questions, one per question."""

    answers: list[_LLMAnswer]


_SYSTEM_PROMPT = (
    "You fill in custom questions on a job application on behalf of a candidate. Answer in the candidate's "
    "voice, using only facts from the candidate's information and the job description. When they do not "
    "answer a question, give answer null and confidence 0: never invent employers, dates, numbers, "
    "qualifications or personal facts. For questions with options, answer with exactly one option, copied "
    "verbatim. Keep short-text answers under 30 words and long-text answers under 150 words. Answer every "
    "question, using its question_id."
)


async def _llm_batch(
    batch: list[tuple[int, Question]],
    profile: Profile,
    model: BaseChatModel,
    usage: UsageCounter | None,
    profile_summary: str | None,
    job_context: str | None,
) -> dict[str, _LLMAnswer] | LLMError:
    questions = [question for _, question in batch]
    messages = [
        SystemMessage(_SYSTEM_PROMPT),
        HumanMessage(_llm_prompt(questions, profile, profile_summary, job_context)),
    ]
    try:
        reply = await ask_structured(model, AnsweredQuestions, messages, usage=usage)
    except LLMError as exc:
        log.info("custom questions: %s", exc)
        return exc
    answers: dict[str, _LLMAnswer] = {}
    for item in reply.answers:
        answers.setdefault(item.question_id.strip(), item)
    return answers


def _llm_answers(
    batch: list[tuple[int, Question]], reply: dict[str, _LLMAnswer] | LLMError
) -> Iterator[tuple[int, Answer]]:
    for number, (index, question) in enumerate(batch, start=1):
        if isinstance(reply, LLMError):
            yield index, _unanswered(question, QuestionClass.GENERAL, f"no answer: {reply}")
        else:
            yield index, _checked_llm_answer(question, reply.get(f"q{number}"))


def _checked_llm_answer(question: Question, item: _LLMAnswer | None) -> Answer:
    """The LLM's answer if it is sure, fits the question's options and is of a sensible length."""
    general = QuestionClass.GENERAL
    if item is None or item.answer is None or not item.answer.strip():
        return _unanswered(question, general, "the LLM could not answer it from your profile")
    text = item.answer.strip()
    confidence = min(max(item.confidence, 0.0), 1.0) if math.isfinite(item.confidence) else 0.0
    if confidence < MIN_LLM_CONFIDENCE:
        return _unanswered(question, general, f'the LLM was unsure ({confidence:.0%}): "{_short(text)}"')
    value = _fit_llm_answer(text, question)
    if value is None:
        return _unanswered(question, general, f'the LLM\'s answer "{_short(text)}" does not fit the question')
    return Answer(question, value, FillSource.LLM, f"suggested by the LLM ({confidence:.0%} sure)", general)


def _fit_llm_answer(text: str, question: Question) -> str | None:
    if question.kind.has_options or (question.kind is QuestionKind.CHECKBOX and question.options):
        # Only an option the model copied; no fuzzy guessing on its behalf.
        if (exact := same_option(text, question.options)) is not None:
            return exact
        if question.kind is QuestionKind.CHECKBOX:
            parts = [same_option(part, question.options) for part in re.split(r"[;,]", text) if part.strip()]
            return ", ".join(parts) if parts and all(parts) else None  # type: ignore[arg-type]
        return None
    limit = MAX_TEXTAREA_ANSWER if question.kind is QuestionKind.TEXTAREA else MAX_TEXT_ANSWER
    return fit_answer(text, question) if len(text) <= limit else None


def _llm_prompt(
    questions: Sequence[Question], profile: Profile, profile_summary: str | None, job_context: str | None
) -> str:
    """The candidate, the job and the questions; contact details only when a question asks for them."""
    labels = " ".join(plain_text(question.label) for question in questions)
    lines = ["Candidate:", f"- Name: {profile.full_name}"]
    if profile.location:
        lines.append(f"- Location: {profile.location}")
    links = {name: value for name, value in profile.links.model_dump().items() if value}
    if links:
        lines.append("- Links: " + ", ".join(f"{name}: {value}" for name, value in links.items()))
    if re.search(r"\be ?mail\b|\bcontact\b", labels):
        lines.append(f"- E-mail: {profile.email}")
    if profile.phone and re.search(r"\bphone\b|\bmobile\b|\bcontact\b", labels):
        lines.append(f"- Phone: {profile.phone}")
    if profile_summary and profile_summary.strip():
        lines += ["- Résumé:", profile_summary.strip()[:MAX_PROMPT_SUMMARY]]
    general_saved = [
        (question, answer)
        for question, answer in profile.answers.items()
        if classify(question) is QuestionClass.GENERAL and answer.strip()
    ][:MAX_PROMPT_SAVED_ANSWERS]
    if general_saved:
        lines.append("- Answers the candidate gave before:")
        lines += [f"  - {_short(question, 200)}: {_short(answer, 300)}" for question, answer in general_saved]
    if job_context and job_context.strip():
        lines += ["", "Job:", job_context.strip()[:MAX_PROMPT_JOB]]
    listed = [
        {
            "question_id": f"q{number}",
            "question": question.label,
            "type": question.kind.value,
            **({"options": list(question.options)} if question.options else {}),
            "required": question.required,
        }
        for number, question in enumerate(questions, start=1)
    ]
    lines += ["", "Questions:", json.dumps(listed, ensure_ascii=False, indent=1)]
    return "\n".join(lines)
