"""The apply task: open the job in a browser, fill it, settle its questions, ask for review, submit at most once.

For a "tailored" application (a strong match, with an LLM configured) a cover letter is first
written for the job and shown in the chat (a `cover_letter` prompt); the approved letter, or the
user's own version of it, is uploaded instead of the profile's usual one and kept with the
application. Between filling and the review, the form's own questions still open are answered
from saved answers, the profile and one LLM call; each required one nobody could answer is asked
in the chat (a `question` prompt), and the user's answer is filled and remembered for the next
form. During the review the user may correct a field; the form is read back and reviewed again.
Approving the review also approves the LLM's answers that are still in the form: they are saved
for the next form that asks the same.

Waiting costs nothing: before each prompt the worker records its progress (automation.parking);
it keeps the browser open for an answer only `park_after`, then parks the prompt, closes the
browser and takes the next job. The answer to a parked prompt queues `resume_application`: any
worker fills the form again from the profile and the progress (no LLM call), checks the read-back
against what the user approved, and only then submits, or asks the next question, or shows a
fresh review when the page changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import socket
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from automation import accounts, tracing
from automation.accounts import AccountRefused
from automation.adapters import UniversalAdapter, open_application
from automation.adapters.base import (
    ApplicantFiles,
    FilledForm,
    FillSource,
    FormAdapter,
    SubmitOutcome,
    SubmitResult,
    UnsupportedForm,
    normalised,
)
from automation.adapters.signin import AccountForm
from automation.answers import MAX_SAVED_ANSWER, MAX_SAVED_QUESTION, answer_questions
from automation.backends import BackendName
from automation.backends.agent_adapter import AgentFormAdapter, agent_form_adapter
from automation.backends.base import BackendError, SubmittedWithoutApproval
from automation.browser import BrowserOptions, open_browser
from automation.captcha import (
    MAX_CAPTCHA_ROUNDS,
    Captcha,
    CaptchaDecision,
    CaptchaKind,
    CaptchaSolver,
    Help,
    captcha_image,
    captcha_payload,
    captcha_solved,
    detect_captchas,
    enter_captcha_text,
    picture_for_people,
    refused_by_page,
    solve_with_service,
    unsolved_reading,
    without_captcha_inputs,
)
from automation.costs import LLMPrices
from automation.cover_letter import letter_file, write_cover_letter
from automation.live_view import LiveView, LiveViewConfig, live_view
from automation.llm import LLMError, UsageCounter
from automation.matching import Effort
from automation.metrics import FILL_SECONDS
from automation.notifier import Notifier
from automation.parking import Progress, describe_changes, form_changes
from automation.prompts import PromptBridge, question_payload
from automation.questions import Question, QuestionKind
from automation.urls import UnsafeUrl, check_url
from automation.workflow import close_prompt
from storage.answers import AnswerRepository, AnswerSource, looks_like_captcha
from storage.applications import ApplicationRepository, FieldRecord
from storage.browser_sessions import BrowserSessionRepository
from storage.credentials import NO_KEY, CredentialRepository, CredentialsUnavailable
from storage.errors import NyxError, UserFacingError
from storage.files import FileRepository, UploadedFile
from storage.models import (
    Application,
    ApplicationStatus,
    LetterDecision,
    Profile,
    Prompt,
    PromptKind,
    PromptMessage,
    PromptStatus,
    QuestionDecision,
    ReviewDecision,
    StoredFile,
)
from storage.profiles import ProfileRepository
from storage.prompts import PromptRepository
from storage.user_settings import UserSettingsRepository

if TYPE_CHECKING:
    from browser_use import BrowserSession

log = logging.getLogger(__name__)
S = ApplicationStatus

HEARTBEAT_S = 20.0
# Prompts one job may hold its browser open for, `park_after` each: a cover letter, a few questions,
# a CAPTCHA and reviews with corrections. Past that every prompt parks at once; the arq job timeout
# is derived from it (automation.worker.job_timeout).
MAX_HELD_WAITS = 12


@dataclass
class ApplyDeps:
    applications: ApplicationRepository
    browser_sessions: BrowserSessionRepository
    files: FileRepository
    profiles: ProfileRepository
    answers: AnswerRepository
    user_settings: UserSettingsRepository
    prompts: PromptRepository
    bridge: PromptBridge
    notifier: Notifier
    browser_options: BrowserOptions
    review_timeout: timedelta
    url_allow_hosts: tuple[str, ...] = ()
    worker_name: str = f"{socket.gethostname()}"
    llm: BaseChatModel | None = None  # answers general questions; None: they are asked or left empty
    agent: AgentConfig | None = None  # fills forms no adapter knows; None: such forms fail with a reason
    captcha_solver: CaptchaSolver | None = None  # 2captcha; None: every CAPTCHA is asked in the chat
    live_view: LiveViewConfig | None = None  # LIVE_VIEW_BASE_URL; None: widgets are solved at the worker's screen
    park_after: timedelta = timedelta(minutes=3)  # how long a prompt keeps the browser open before it parks
    credentials: CredentialRepository | None = None  # accounts on sign-in tenants (Workday); None: such sites fail
    llm_prices: LLMPrices = field(default_factory=LLMPrices)  # LLM_PRICES: what the tokens cost

    @property
    def hold_budget(self) -> timedelta:
        """The longest one job keeps a browser open for answers, over all its prompts."""
        return self.park_after * MAX_HELD_WAITS


@dataclass(frozen=True)
class AgentConfig:
    """The generic agent: which backend (FALLBACK_BACKEND), its LLM and step limit or its VibeSurf service."""

    llm_base_url: str | None
    llm_api_key: SecretStr | None
    llm_model: str | None
    max_steps: int = 40
    backend: BackendName = "browser-use"
    vibesurf_url: str | None = None
    vibesurf_api_key: SecretStr | None = None


class ApplyFailed(UserFacingError):
    """A failure to tell the user about in one sentence."""


class _Parked(NyxError):
    """Nobody answered within `park_after`: the prompt now waits in PostgreSQL alone and the browser closes."""

    def __init__(self, application: Application) -> None:
        super().__init__("parked")
        self.application = application


class _Unanswered(NyxError):
    """A prompt that cannot park (the agent's own questions) got no answer while the browser was held."""


@dataclass
class _Attempt:
    """One job's run of an application: what it put into the form and how long it may still hold a browser.

    `approved` is set when the job carries out an approved review: the fields the user saw.
    """

    progress: Progress
    hold_until: float
    resumed: PromptKind | None = None  # carrying out a parked prompt's answer: of which kind
    approved: list[FieldRecord] | None = None
    corrected: list[str] | None = None  # labels corrected while parked, remembered once they read back
    by_hand: bool = False  # a parked review's "let me do this myself": a fresh review (with its live view) follows

    @property
    def refill(self) -> bool:
        """The form was filled before this job (everything but a cover letter comes after the fill)."""
        return self.resumed is not None and self.resumed is not PromptKind.COVER_LETTER

    def hold(self, park_after: timedelta) -> float:
        """Seconds the next prompt may keep the browser open for its answer."""
        left = self.hold_until - asyncio.get_running_loop().time()
        return max(0.0, min(park_after.total_seconds(), left))


# The job's attempt, set once per arq job (each runs in its own task, so attempts never mix); the
# prompt helpers read it instead of every function of the flow passing it along.
_ATTEMPT: contextvars.ContextVar[_Attempt] = contextvars.ContextVar("nyx_apply_attempt")


def _attempt() -> _Attempt:
    return _ATTEMPT.get()


class _Stopped(NyxError):
    """The application came to rest before submitting (nobody answered, cancelled, moved by someone else)."""

    def __init__(self, application: Application | None) -> None:
        super().__init__("stopped")
        self.application = application


async def apply_to_job(deps: ApplyDeps, application_id: int) -> str:
    """Run one queued application to its next resting state; returns that state's name."""
    app = await deps.applications.transition(
        application_id, S.RUNNING, from_statuses=[S.QUEUED], note="worker picked it up"
    )
    if app is None:
        return "not-queued"
    await deps.applications.save_progress(app.id, None)  # a new attempt starts from the profile alone
    return await _attend(deps, app, _new_attempt(deps, Progress()))


async def resume_application(deps: ApplyDeps, application_id: int, prompt_id: int) -> str:
    """Carry out the answer to a parked prompt: fill the form again and go on from there.

    Only the application's latest prompt, answered while the application still waits, is carried
    out, and only by one worker (the guarded move to running decides).
    """
    prompt = await deps.prompts.latest_for_application(application_id)
    if prompt is None or prompt.id != prompt_id or prompt.status is not PromptStatus.ANSWERED or not prompt.answer:
        return "nothing-to-resume"
    if _cancels(prompt):
        moved = await deps.applications.transition(
            application_id, S.CANCELLED, from_statuses=[S.WAITING_USER], note=f"cancelled at the {prompt.kind.value}"
        )
        if moved is not None:
            await deps.notifier.application_changed(moved)
        return moved.status.value if moved is not None else "not-waiting"
    app = await deps.applications.transition(
        application_id,
        S.RUNNING,
        from_statuses=[S.WAITING_USER],
        note=f"{prompt.kind.value} answered; filling the form again",
    )
    if app is None:
        return "not-waiting"
    attempt = _new_attempt(deps, Progress.from_json(await deps.applications.progress(app.id)), resumed=prompt.kind)
    await _take_answer(deps, app, prompt, attempt)
    return await _attend(deps, app, attempt)


def _new_attempt(deps: ApplyDeps, progress: Progress, *, resumed: PromptKind | None = None) -> _Attempt:
    hold_until = asyncio.get_running_loop().time() + deps.hold_budget.total_seconds()
    return _Attempt(progress=progress, hold_until=hold_until, resumed=resumed)


def _cancels(prompt: Prompt) -> bool:
    decision = (prompt.answer or {}).get("decision")
    return (prompt.kind is PromptKind.REVIEW and decision == ReviewDecision.CANCEL.value) or (
        prompt.kind is PromptKind.CAPTCHA and decision == CaptchaDecision.CANCEL.value
    )


async def _take_answer(deps: ApplyDeps, app: Application, prompt: Prompt, attempt: _Attempt) -> None:
    """Fold a parked prompt's answer into the attempt, as the worker that asked would have used it.

    A question's answer and a correction become values of the refill; an approved review becomes the
    fields to compare before submitting; a cover letter decision is kept. A CAPTCHA needs nothing:
    the page opened again shows a new one, which is solved or asked again.
    """
    answer, progress = prompt.answer or {}, attempt.progress
    if prompt.kind is PromptKind.QUESTION and prompt.payload.get("account"):
        # How to get into a sign-in tenant: kept in the progress or the vault, never as a saved answer.
        if deps.credentials is not None and deps.credentials.available:
            await accounts.take_answer(
                deps.credentials,
                app.user_id,
                str(prompt.payload.get("vendor", "")),
                str(prompt.payload.get("tenant", "")),
                prompt.payload,
                answer,
                progress,
            )
    elif prompt.kind is PromptKind.QUESTION:
        field, value = prompt.payload.get("field"), str(answer.get("value", "")).strip()
        if field and field != _AGENT_QUESTION and value:
            progress.answers[str(field)] = value
            await _remember(deps, app, str(prompt.payload.get("question", "")), value, AnswerSource.CHAT_QUESTION)
    elif prompt.kind is PromptKind.COVER_LETTER:
        await _letter_decided(deps, app, answer, str(prompt.payload.get("letter", "")), progress)
    elif prompt.kind is PromptKind.REVIEW:
        approved = await deps.applications.fields(app.id)
        if answer.get("decision") == ReviewDecision.SUBMIT.value:
            attempt.approved = approved
        elif answer.get("decision") == ReviewDecision.BY_HAND.value:
            attempt.by_hand = True  # the form is opened again; the review that follows carries the live view
        else:
            label = normalised(str(answer.get("field", "")))
            field = next((f for f in approved if normalised(f.label) == label), None)
            if field is not None and str(answer.get("value", "")).strip():
                progress.answers[field.selector] = str(answer["value"]).strip()
                attempt.corrected = [field.label]
    await deps.applications.save_progress(app.id, progress.to_json())


async def _attend(deps: ApplyDeps, start: Application, attempt: _Attempt) -> str:
    """Drive the application with a browser until it rests (submitted, parked, waiting, failed …)."""
    _ATTEMPT.set(attempt)
    application_id = start.id
    await deps.notifier.application_changed(start)
    session_id = await deps.browser_sessions.open(start.id, deps.worker_name)
    end_reason = "error"
    parked = False
    app: Application | None = start  # where it rests; None when it is gone
    try:
        async with _heartbeat(deps.browser_sessions, session_id):
            with tracing.for_application(start.id, start.user_id, "apply"):
                app = await _run(deps, start)
        end_reason = app.status.value
    except asyncio.CancelledError:
        # The process is stopping: park what waits for the user, hand the rest back to the queue.
        end_reason = "shutdown"
        await _requeue_after_shutdown(deps, application_id)
        raise
    except _Parked as exc:
        # The application waits in PostgreSQL alone; whoever answers brings any worker back to it.
        end_reason, parked, app = "parked", True, exc.application
        log.info("application %s: parked until the user answers", application_id)
        return app.status.value
    except _Stopped as exc:
        app = exc.application
        end_reason = app.status.value if app is not None else "stopped"
    except SubmittedWithoutApproval as exc:
        # Never again: whatever the agent sent, the employer has it.
        await deps.applications.claim_submission(application_id)
        await deps.applications.set_outcome(application_id, SubmitOutcome.UNKNOWN.value)
        app = await deps.applications.transition(
            application_id, S.SUBMITTED, from_statuses=[S.RUNNING, S.WAITING_USER], note=str(exc)
        ) or await deps.applications.get(application_id)
    except BackendError as exc:
        app = await _fail(deps, application_id, str(exc))
    except ApplyFailed as exc:
        app = await _fail(deps, application_id, str(exc))
    except Exception:
        log.exception("application %s: unexpected error while applying", application_id)
        app = await _fail(
            deps, application_id, "Something went wrong in the browser; tap Retry later or apply by hand."
        )
    finally:
        await deps.browser_sessions.close(session_id, end_reason)
        if not parked and end_reason != "shutdown":
            with contextlib.suppress(Exception):
                await _cancel_open_prompt(deps, application_id)
    if app is not None:
        await deps.notifier.application_changed(app)
        return app.status.value
    return "unchanged"


async def _run(deps: ApplyDeps, app: Application) -> Application:
    stored = await deps.profiles.get(app.user_id)
    if stored is None:
        raise ApplyFailed("You have no profile yet: send /profile to see how to load one.")

    async def guard(url: str) -> None:
        try:
            await check_url(url, allow_hosts=deps.url_allow_hosts)
        except UnsafeUrl as exc:
            raise ApplyFailed(str(exc)) from None

    await guard(app.url)

    with tempfile.TemporaryDirectory(prefix="nyx-files-") as tmp:
        files = ApplicantFiles(
            resume=_materialise(stored.resume, Path(tmp)),
            cover_letter=_materialise(stored.cover_letter, Path(tmp)),
        )
        if _tailored(app) and (deps.llm is not None or _attempt().resumed):
            letter = await _cover_letter(deps, app, stored.profile, has_usual=files.cover_letter is not None)
            if letter is not None:
                files = ApplicantFiles(resume=files.resume, cover_letter=_materialise(letter, Path(tmp) / "tailored"))
        async with open_browser(deps.browser_options) as browser, contextlib.AsyncExitStack() as backend:
            try:
                adapter = await open_application(browser, app.url, guard=guard)
            except UnsupportedForm as exc:
                if deps.agent is None:
                    raise ApplyFailed(
                        f"I could not recognise an application form there: {exc} "
                        "(the generic agent needs LLM_API_KEY, or FALLBACK_BACKEND=vibesurf)."
                    ) from None
                if _attempt().refill and _attempt().progress.agent is None:
                    raise ApplyFailed(
                        "Nothing was recorded to fill this form again; tap Retry to have it filled anew."
                    ) from None
                adapter = _agent_adapter(deps, app, browser, guard)
                backend.push_async_callback(adapter.close)  # however the run ends (VibeSurf's task)
            if isinstance(adapter, AccountForm):  # behind a sign-in (Workday): the kept account, else asked once
                await _sign_in(deps, app, adapter, browser, stored.profile)
            # Answers saved in the chat take precedence over those in the profile file.
            saved = await deps.answers.as_mapping(app.user_id)
            profile = stored.profile.model_copy(update={"answers": {**stored.profile.answers, **saved}})
            # CAPTCHAs are found first, so that their boxes are never taken for questions; they are solved
            # last before the review, so that a token does not expire while a question waits for the user.
            await detect_captchas(browser)
            with FILL_SECONDS.time():
                form = await _fill(deps, app, adapter, browser, profile, files)
            # The order of work: adapter or universal filler, saved answers, one LLM call; on a form nobody
            # recognises, the agent for the required fields still empty; the user for whatever is left.
            agent_next = isinstance(adapter, UniversalAdapter) and deps.agent is not None
            form, suggested = await _settle_questions(deps, app, adapter, browser, profile, form, ask=not agent_next)
            if agent_next and form.unfilled_required:
                adapter = _hand_to_agent(deps, app, browser, guard, form)
                backend.push_async_callback(adapter.close)
                form = await _fill(deps, app, adapter, browser, profile, files, put_back=False)
            elif agent_next:
                form, _ = await _settle_questions(deps, app, adapter, browser, profile, form, use_llm=False)
            form = await _clear_captchas(deps, app, adapter, browser, form)
            await _record_form(deps, app, form)
            carrying_out_review = _attempt().approved is not None
            approved = await _still_as_approved(deps, app, form)
            if (
                not (approved or carrying_out_review or form.problems or _attempt().by_hand)
                and not (await deps.user_settings.get(app.user_id)).review_required
            ):
                approved = True  # the user chose no review (but a changed page is always shown again)
            while True:
                if not approved:
                    app, form = await _review_until_approved(deps, app, adapter, browser, form)
                    await _remember_approved(deps, app, form, suggested)
                sent = await _submit_once(deps, app, adapter, browser)
                if sent is not None:
                    return sent
                # The page refused it and accepted nothing: back to the user with the form as it reads now.
                form = await adapter.read_back(browser)
                await _record_form(deps, app, form)
                approved = False


async def _sign_in(
    deps: ApplyDeps, app: Application, adapter: AccountForm, browser: BrowserSession, profile: Profile
) -> None:
    """Get past the tenant's sign-in with the account kept for it, or the one the user chooses in the chat."""
    if deps.credentials is None or not deps.credentials.available:
        raise ApplyFailed(NO_KEY)
    tenant = await adapter.tenant(browser)

    async def ask(question: Question, extra: dict[str, Any]) -> dict[str, Any]:
        payload = {**question_payload(app.id, question), **extra, "vendor": adapter.vendor, "tenant": tenant}
        send = functools.partial(deps.notifier.ask_question, app, question=question)
        answer = await _ask(deps, app, PromptKind.QUESTION, payload, send, "account for the site asked")
        await _moved(deps, app.id, S.RUNNING, [S.WAITING_USER], "account for the site answered")
        return answer

    try:
        account, create = await accounts.account_for(
            deps.credentials, app.user_id, adapter, tenant, profile, _attempt().progress, ask
        )
        await deps.applications.save_progress(app.id, _attempt().progress.to_json())
        await accounts.sign_in(deps.credentials, app.user_id, adapter, browser, account, create)
    except (AccountRefused, CredentialsUnavailable) as exc:
        raise ApplyFailed(str(exc)) from None
    await deps.applications.note(app.id, f"signed in on {tenant}" + (" with a new account" if create else ""))


async def _fill(
    deps: ApplyDeps,
    app: Application,
    adapter: FormAdapter,
    browser: BrowserSession,
    profile: Profile,
    files: ApplicantFiles,
    *,
    put_back: bool = True,
) -> FilledForm:
    """Fill the form from the profile, then put back what earlier prompts settled (a refill after parking;
    not when the agent goes on from a form the earlier steps filled: their answers are on the page).

    The generic agent's run is recorded on the first fill and replayed on a refill: no LLM call either way.
    """
    attempt = _attempt()
    agent = isinstance(adapter, AgentFormAdapter)
    if isinstance(adapter, AgentFormAdapter) and attempt.refill and attempt.progress.agent is not None:
        form = await adapter.replay(browser, profile, files, attempt.progress.agent)
    else:
        form = await adapter.fill(browser, profile, files)
        if agent:
            attempt.progress.agent = getattr(adapter, "recording", None)  # VibeSurf's runs are not replayed
    if not (put_back and attempt.progress.answers):
        return form
    await adapter.answer(browser, attempt.progress.answers)
    form = await adapter.read_back(browser)
    for label in attempt.corrected or ():
        corrected = form.find(label)
        if corrected is not None and corrected.is_question and corrected.intended and corrected.ok:
            await _remember(deps, app, corrected.label, corrected.intended, AnswerSource.REVIEW_CORRECTION)
    return form


async def _still_as_approved(deps: ApplyDeps, app: Application, form: FilledForm) -> bool:
    """When carrying out an approved review: whether the refilled form reads as the user saw it.

    If not, the user is told what changed and gets a fresh review; nothing is submitted.
    """
    attempt = _attempt()
    if attempt.approved is None:
        return False
    changes = form_changes(attempt.approved, form)
    attempt.approved = None
    if not changes:
        return True
    log.info("application %s: the form changed since the review: %s", app.id, changes)
    await deps.applications.note(app.id, f"form changed since the review: {describe_changes(changes)}"[:500])
    await deps.notifier.say(
        app.user_id,
        f"#{app.id}: the form changed since your review ({escape(describe_changes(changes))}), so I did not "
        "send it. Here is a fresh review.",
    )
    return False


_AGENT_QUESTION = "agent"  # the id of the agent's questions: it puts their answers in the form itself


class _ChatAsker:
    """The agent's questions go to the chat as `question` prompts, like the adapters' ones."""

    def __init__(self, deps: ApplyDeps, app: Application) -> None:
        self._deps, self._app = deps, app

    async def ask(self, question: str, options: list[str] | None = None) -> str | None:
        if looks_like_captcha(question):
            return None  # not a question: the CAPTCHA is asked as its picture once the agent is done
        kind = QuestionKind.SELECT if options else QuestionKind.TEXT
        label = question.strip().rstrip("*").strip()  # the form's required marker, as the agent copied it
        asked = Question(
            id=_AGENT_QUESTION, label=label[:MAX_SAVED_QUESTION], kind=kind, options=tuple(options or ()), required=True
        )
        try:
            value = await _ask_question(self._deps, self._app, asked)
        except (_Stopped, _Unanswered):
            return None  # unanswered while the browser was held, or the application is already over
        if value is None:
            return None  # no live view for the agent's questions: never by hand
        await _remember(self._deps, self._app, asked.label, value, AnswerSource.CHAT_QUESTION)
        return value


def _hand_to_agent(
    deps: ApplyDeps,
    app: Application,
    browser: BrowserSession,
    guard: Callable[[str], Awaitable[Any]],
    form: FilledForm,
) -> AgentFormAdapter:
    """The agent goes on from the form as the earlier steps left it; what they filled keeps its source."""
    log.info(
        "application %s: required fields still empty for the agent: %s",
        app.id,
        [field.label for field in form.unfilled_required],
    )
    agent = _agent_adapter(deps, app, browser, guard)
    agent.note_sources(
        {field.selector: field.source for field in form.fields if field.source is not None and not field.empty}
    )
    return agent


def _agent_adapter(
    deps: ApplyDeps, app: Application, browser: BrowserSession, guard: Callable[[str], Awaitable[Any]]
) -> AgentFormAdapter:
    config = deps.agent
    assert config is not None

    async def count(calls: int, input_tokens: int, output_tokens: int) -> None:
        model = config.llm_model
        await deps.applications.add_llm_usage(
            app.id,
            calls,
            input_tokens + output_tokens,
            model=model,
            cost_usd=deps.llm_prices.cost(model, input_tokens, output_tokens),
        )

    return agent_form_adapter(config, deps.browser_options, browser, guard, _ChatAsker(deps, app), count)


async def _settle_questions(
    deps: ApplyDeps,
    app: Application,
    adapter: FormAdapter,
    browser: BrowserSession,
    profile: Profile,
    form: FilledForm,
    *,
    ask: bool = True,
    use_llm: bool = True,
) -> tuple[FilledForm, dict[str, str]]:
    """Answer the form's questions still open after filling; ask the user the required ones nobody could
    (unless `ask` is false: the agent comes first).

    Returns the form as read back and the LLM's answers put into it (question label -> answer).
    """
    attempt = _attempt()
    questions = await without_captcha_inputs(browser, await adapter.questions(browser))
    if not questions:
        return form, dict(attempt.progress.suggested)
    # A refill never calls the LLM: what it answered before is in the progress and already on the page.
    model = None if attempt.refill or not use_llm else deps.llm
    usage = UsageCounter()
    try:
        sheet = await answer_questions(
            questions,
            profile,
            model=model,
            usage=usage,
            profile_summary=profile.summary,
            job_context=await _job_context(deps, app) if model is not None else None,
        )
    finally:
        await _count_llm(deps, app, usage)
    changed = bool(sheet.values)
    if sheet.values:
        await adapter.answer(browser, sheet.values)
        adapter.note_sources({a.question.key: a.source for a in sheet if a.source is not None})
        attempt.progress.answers.update(sheet.values)
    attempt.progress.suggested.update(
        {a.question.label: a.value for a in sheet if a.source is FillSource.LLM and a.value is not None}
    )
    for answer in sheet.needs_user:
        log.info("application %s: %r not answered: %s", app.id, answer.question.label, answer.reason)
        # Optional ones stay empty; the review shows them. So do required ones when an approved review is
        # carried out on a page that grew them: the fresh review it gets shows them empty.
        if ask and answer.question.required and attempt.approved is None:
            value = await _ask_question(deps, app, answer.question, browser)
            if value is None:  # typed into the form through the live view: what the page now holds
                value = await _read_by_hand(adapter, browser, answer.question)
                if value is None:
                    log.info("application %s: %r still empty after the live view", app.id, answer.question.label)
                    continue  # the review shows it empty
            await adapter.answer(browser, {answer.question.key: value})
            adapter.note_sources({answer.question.key: FillSource.USER})
            attempt.progress.answers[answer.question.key] = value
            await _remember(deps, app, answer.question.label, value, AnswerSource.CHAT_QUESTION)
            changed = True
    if not changed:
        return form, dict(attempt.progress.suggested)  # nothing was put on the page since it was read
    return await adapter.read_back(browser), dict(attempt.progress.suggested)


async def _clear_captchas(
    deps: ApplyDeps, app: Application, adapter: FormAdapter, browser: BrowserSession, form: FilledForm
) -> FilledForm:
    """Clear the page's CAPTCHAs through 2captcha, else with the user's help; the form as it then reads.

    An invisible one left unsolved runs only when the form is sent: it becomes a problem of the form,
    so the review always happens and says a challenge may show in the browser window.
    """
    cleared, left = False, []
    for captcha in await detect_captchas(browser):
        if await captcha_solved(browser, captcha):
            continue  # e.g. a Turnstile that passed by itself
        if await _clear_captcha(deps, app, browser, captcha, wait_for_submit=captcha.invisible):
            cleared = True
        else:
            left.append(captcha)
    if cleared:
        form = await adapter.read_back(browser)
    form.fields.extend(unsolved_reading(captcha) for captcha in left)
    return form


async def _clear_captcha(
    deps: ApplyDeps,
    app: Application,
    browser: BrowserSession,
    captcha: Captcha,
    *,
    wait_for_submit: bool = False,
    refused: bool = False,
) -> bool:
    """One CAPTCHA through 2captcha, else the user's; False when it is left to run at submit time."""
    needed = await solve_with_service(deps.captcha_solver, browser, captcha)
    if needed is None:
        await deps.applications.note(app.id, f"{captcha.label} solved through 2captcha")
        return True
    if needed.detail:
        await deps.applications.note(app.id, f"2captcha could not solve the {captcha.label}: {needed.detail}")
    if wait_for_submit:
        return False
    await _ask_captcha(deps, app, browser, captcha, needed, refused=refused)
    return True


async def _ask_captcha(
    deps: ApplyDeps,
    app: Application,
    browser: BrowserSession,
    captcha: Captcha,
    needed: Help,
    *,
    refused: bool = False,
) -> None:
    """Ask until the page holds an answer: the image's text by reply, or Done once solved in the browser window.

    The image goes to the chat as a picture of just the CAPTCHA, enlarged when small. Its answer is typed
    into the CAPTCHA's own box and never remembered. Raises _Stopped when the user cancels or nobody answers.
    """
    again = False
    while True:
        image = await captcha_image(browser) if captcha.kind is CaptchaKind.IMAGE else None
        payload = captcha_payload(
            app.id, captcha, needed, image_shown=image is not None, again=again, refused=refused and not again
        )
        picture = picture_for_people(image) if image is not None else None
        # Live view (issue 10): a widget is solved through a live view of this browser, for as long as it waits.
        async with live_view(deps.live_view if image is None else None, browser) as live:
            send = functools.partial(_send_captcha, deps, app, picture, live)
            answer = await _ask(deps, app, PromptKind.CAPTCHA, payload, send, f"{captcha.label} to solve")
        if answer.get("decision") == CaptchaDecision.CANCEL.value:
            raise _Stopped(await _moved(deps, app.id, S.CANCELLED, [S.WAITING_USER], "cancelled at the CAPTCHA"))
        await _moved(deps, app.id, S.RUNNING, [S.WAITING_USER], f"{captcha.label} answered in the chat")
        if image is not None:
            await enter_captcha_text(browser, str(answer.get("text", "")))
        if await captcha_solved(browser, captcha):
            return
        again = True


async def _send_captcha(
    deps: ApplyDeps, app: Application, picture: bytes | None, live: LiveView | None, prompt: Prompt
) -> PromptMessage:
    """The CAPTCHA prompt in the chat, with its live view's link bound to the prompt before it is sent."""
    return await deps.notifier.ask_captcha(app, prompt, image=picture, live_url=await _live_url(live, prompt))


async def _live_url(live: LiveView | None, prompt: Prompt) -> str | None:
    """The live view's link for a prompt about to be sent (bound to it, so it dies with it); None without one."""
    if live is None:
        return None
    await live.bind(prompt)
    return live.url


async def _resubmit_refused_captcha(
    deps: ApplyDeps, app: Application, adapter: FormAdapter, browser: BrowserSession, result: SubmitResult
) -> SubmitResult:
    """The form refused the application and shows a CAPTCHA without an answer (a wrong answer, a new image):
    solve it again and send the same approved form, up to MAX_CAPTCHA_ROUNDS rounds in all.

    Nothing reached the employer while the form refuses, so sending again is not applying twice; but only
    while every approved value still reads as approved.
    """
    rounds = 1
    while result.outcome is SubmitOutcome.VALIDATION_ERRORS:
        await deps.applications.set_outcome(app.id, result.outcome.value)
        unsolved = [
            c
            for c in await detect_captchas(browser)
            if refused_by_page(c, result.detail) or not await captcha_solved(browser, c)
        ]
        if not unsolved:
            return result  # refused for another reason
        label = unsolved[0].label
        await deps.applications.note(app.id, f"the form refused the {label}: {result.detail[:200]}")
        if rounds >= MAX_CAPTCHA_ROUNDS:
            raise ApplyFailed(
                f"The form refused the {label} answer {rounds} times, so nothing was sent; apply by hand at {app.url}"
            )
        form = await adapter.read_back(browser)
        if any(not f.ok for f in form.fields if not looks_like_captcha(f.label)):
            raise ApplyFailed(
                f"The form refused the {label} answer and lost the values you approved, so nothing "
                f"was sent; apply by hand at {app.url}"
            )
        for captcha in unsolved:
            await _clear_captcha(deps, app, browser, captcha, refused=True)
        rounds += 1
        result = await adapter.submit(browser)
    return result


async def _remember_approved(deps: ApplyDeps, app: Application, form: FilledForm, suggested: dict[str, str]) -> None:
    """The LLM's answers the user let stand in an approved review: saved for the next form that asks."""
    for label, value in suggested.items():
        field = form.find(label)
        if field is not None and field.ok and normalised(field.actual) == normalised(value):
            await _remember(deps, app, label, value, AnswerSource.LLM)


def _tailored(app: Application) -> bool:
    return (app.score_reasons or {}).get("effort") == Effort.TAILORED.value


async def _cover_letter(
    deps: ApplyDeps, app: Application, profile: Profile, *, has_usual: bool
) -> StoredFile | UploadedFile | None:
    """The cover letter written for this job, once the user approved it; None to go on with the usual one.

    A letter approved on an earlier attempt is used again without asking.
    """
    kept = await deps.files.cover_letter(app.id, app.user_id)
    if kept is not None:
        return kept
    if _attempt().progress.letter is not None or _attempt().resumed:
        return None  # decided before parking: without the written letter
    if deps.llm is None:
        return None  # no model to write it (asked for only with one)
    usage = UsageCounter()
    try:
        letter = await write_cover_letter(
            deps.llm, profile, company=app.company, job_context=await _job_context(deps, app), usage=usage
        )
    except LLMError as exc:
        instead = "your usual one" if has_usual else "none"
        await deps.notifier.say(
            app.user_id, f"#{app.id}: I could not write a cover letter ({escape(str(exc))}); applying with {instead}."
        )
        return None
    finally:
        await _count_llm(deps, app, usage)
    send = functools.partial(deps.notifier.ask_cover_letter, app, letter=letter, has_usual=has_usual)
    payload = {"application": app.id, "letter": letter, "has_usual": has_usual}
    answer = await _ask(deps, app, PromptKind.COVER_LETTER, payload, send, "cover letter written")
    upload, note = await _letter_decided(deps, app, answer, letter, _attempt().progress, profile)
    await _moved(deps, app.id, S.RUNNING, [S.WAITING_USER], note)
    return upload


async def _letter_decided(
    deps: ApplyDeps,
    app: Application,
    answer: dict[str, Any],
    letter: str,
    progress: Progress,
    profile: Profile | None = None,
) -> tuple[UploadedFile | None, str]:
    """Keep the user's decision about a written letter: the approved text as the application's letter
    (a PDF), or going on without it; returns the letter file and a note for the trail."""
    decision = LetterDecision.USE if answer.get("decision") == LetterDecision.USE.value else LetterDecision.WITHOUT
    progress.letter = decision.value
    if decision is LetterDecision.WITHOUT:
        return None, "cover letter declined"
    if profile is None:
        stored = await deps.profiles.get(app.user_id)
        if stored is None:
            raise ApplyFailed("You have no profile yet: send /profile to see how to load one.")
        profile = stored.profile
    text = str(answer.get("letter") or letter)
    upload = letter_file(text, profile, title=" · ".join(p for p in (app.title, app.company) if p) or None)
    await deps.files.attach_cover_letter(app.id, app.user_id, upload)
    return upload, "cover letter approved" if text == letter else "cover letter replaced by the user's own"


async def _ask_question(
    deps: ApplyDeps, app: Application, question: Question, browser: BrowserSession | None = None
) -> str | None:
    """The user's answer to one of the form's questions, or None when they filled it in the form themselves
    through the live view (offered when `browser` is given); raises _Stopped when nobody answers."""
    async with live_view(deps.live_view if browser is not None else None, browser) as live:
        send = functools.partial(_send_question, deps, app, question, live)
        answer = await _ask(deps, app, PromptKind.QUESTION, question_payload(app.id, question), send, "question asked")
    if answer.get("decision") == QuestionDecision.BY_HAND.value:
        await _moved(deps, app.id, S.RUNNING, [S.WAITING_USER], "question filled in by hand in the live view")
        return None
    value = answer.get("value")
    if not isinstance(value, str) or not value.strip():
        raise ApplyFailed("The answer to a question of the form was empty; tap Retry to be asked again.")
    await _moved(deps, app.id, S.RUNNING, [S.WAITING_USER], "question answered")
    return value.strip()


async def _send_question(
    deps: ApplyDeps, app: Application, question: Question, live: LiveView | None, prompt: Prompt
) -> PromptMessage:
    return await deps.notifier.ask_question(app, prompt, question, live_url=await _live_url(live, prompt))


async def _read_by_hand(adapter: FormAdapter, browser: BrowserSession, question: Question) -> str | None:
    """What the user typed into a question's control through the live view; None when it is still empty."""
    form = await adapter.read_back(browser)
    reading = next((f for f in form.fields if f.selector == question.key), None) or form.find(question.label)
    if reading is None or reading.empty or reading.is_file:
        return None
    return (reading.actual or "").strip() or None


async def _review_until_approved(
    deps: ApplyDeps, app: Application, adapter: FormAdapter, browser: BrowserSession, form: FilledForm
) -> tuple[Application, FilledForm]:
    """Ask for review, apply corrections in between; the application once approved (running again) and
    the form as approved.

    Raises _Stopped when the user cancels or nobody answers.
    """
    while True:
        # "Let me do this myself": the review carries a live view of this browser while it waits.
        async with live_view(deps.live_view, browser) as live:
            send = functools.partial(_send_review, deps, app, form, live)
            answer = await _ask(deps, app, PromptKind.REVIEW, _review_payload(form), send, "review requested")
        decision = ReviewDecision(answer["decision"])
        if decision is ReviewDecision.CANCEL:
            raise _Stopped(await _moved(deps, app.id, S.CANCELLED, [S.WAITING_USER], "cancelled at review"))
        if decision is ReviewDecision.SUBMIT:
            app = await _moved(deps, app.id, S.RUNNING, [S.WAITING_USER], "review approved")
            if live is None:
                return app, form
            # Changed through the live view without tapping Done there: what would be sent is not what was
            # approved, so it is shown again instead.
            changed = await _taken_back(deps, app, adapter, browser, form, approving=True)
            if changed is None:
                return app, form
            form = changed
            continue
        if decision is ReviewDecision.BY_HAND:
            app = await _moved(deps, app.id, S.RUNNING, [S.WAITING_USER], "fields changed by hand in the live view")
            form = await _taken_back(deps, app, adapter, browser, form) or form
            continue
        label = str(answer.get("field", ""))
        app = await _moved(deps, app.id, S.RUNNING, [S.WAITING_USER], f"correcting {label[:100]}")
        form = await _correct(deps, app, adapter, browser, form, label, str(answer.get("value", "")))


async def _send_review(
    deps: ApplyDeps, app: Application, form: FilledForm, live: LiveView | None, prompt: Prompt
) -> PromptMessage:
    return await deps.notifier.ask_review(app, prompt, form, live_url=await _live_url(live, prompt))


async def _taken_back(
    deps: ApplyDeps,
    app: Application,
    adapter: FormAdapter,
    browser: BrowserSession,
    before: FilledForm,
    *,
    approving: bool = False,
) -> FilledForm | None:
    """Read the form back after the user had it in their hands (the live view), and say what they changed.

    Their values become the form's intended ones (kept for a refill after parking, remembered when they
    answer a question). None when approving and nothing changed (the approved form stands).
    """
    after = await adapter.read_back(browser)
    old = {f.selector: f for f in before.fields}
    changed = [
        (old[f.selector], f)
        for f in after.fields
        if not f.is_file and f.selector in old and normalised(f.actual) != normalised(old[f.selector].actual)
    ]
    if not changed and approving:
        return None
    if values := {new.selector: new.actual.strip() for _, new in changed if new.actual and new.actual.strip()}:
        await adapter.answer(browser, values)
        _attempt().progress.answers.update(values)
        after = await adapter.read_back(browser)
    await _record_form(deps, app, after)
    for _, new in changed:
        reading = after.find(new.label)
        if reading is not None and reading.is_question and reading.intended and reading.ok:
            await _remember(deps, app, reading.label, reading.intended, AnswerSource.REVIEW_CORRECTION)
    listed = "; ".join(
        f"{escape(new.label)}: {escape(_shown(was.actual))} → {escape(_shown(new.actual))}"
        for was, new in changed[:MAX_LISTED_BY_HAND]
    )
    more = f"; and {len(changed) - MAX_LISTED_BY_HAND} more" if len(changed) > MAX_LISTED_BY_HAND else ""
    why = "The form changed in the live view since this review, so I did not send it. " if approving else ""
    await deps.notifier.say(
        app.user_id,
        f"#{app.id}: {why}You changed {listed}{more}. Here is a fresh review."
        if changed
        else f"#{app.id}: no field changed in the live view. Here is the review again.",
    )
    await deps.applications.note(app.id, f"changed by hand: {len(changed)} field(s)")
    return after


MAX_LISTED_BY_HAND = 10


def _shown(value: str | None) -> str:
    text = (value or "").strip()
    return "empty" if not text else text if len(text) <= 80 else text[:79] + "…"


async def _correct(
    deps: ApplyDeps,
    app: Application,
    adapter: FormAdapter,
    browser: BrowserSession,
    form: FilledForm,
    label: str,
    value: str,
) -> FilledForm:
    """Put the user's new value into one field, read the form back, remember a corrected question."""
    field = form.find(label)
    if field is None or field.is_file or not value.strip():
        await deps.notifier.say(app.user_id, f"#{app.id}: there is no field I can change called that.")
        return form
    await adapter.answer(browser, {field.selector: value.strip()})
    form = await adapter.read_back(browser)
    await _record_form(deps, app, form)
    corrected = form.find(field.label)
    if corrected is not None and corrected.is_question and corrected.intended and corrected.ok:
        await _remember(deps, app, corrected.label, corrected.intended, AnswerSource.REVIEW_CORRECTION)
    return form


async def _record_form(deps: ApplyDeps, app: Application, form: FilledForm) -> None:
    """Keep the form as it now stands: every field's reading and the screenshot."""
    await deps.applications.record_fields(app.id, _field_records(form))
    await deps.files.attach_screenshot(app.id, app.user_id, form.screenshot)


def _review_payload(form: FilledForm) -> dict[str, Any]:
    return {
        "ats": form.ats,
        "url": form.url,
        "problems": [f.label for f in form.problems],
        "fields": [f.label for f in form.fields if not f.is_file],  # what a correction may name
    }


async def _ask(
    deps: ApplyDeps,
    app: Application,
    kind: PromptKind,
    payload: dict[str, Any],
    send: Callable[[Prompt], Awaitable[PromptMessage]],
    note: str,
) -> dict[str, Any]:
    """Write a prompt, show it in the chat and wait for its answer.

    The progress is recorded first, so that any worker can fill the form again from here. The browser
    stays open for the answer only `park_after`; then the prompt parks (_Parked). Raises _Stopped when
    nobody answers in time.
    """
    attempt = _attempt()
    await deps.applications.save_progress(app.id, attempt.progress.to_json())
    app = await _moved(deps, app.id, S.WAITING_USER, [S.RUNNING], note)
    prompt = await deps.prompts.create(app.id, app.user_id, kind, payload, datetime.now(UTC) + deps.review_timeout)

    async def ask() -> None:
        await deps.prompts.set_message(prompt.id, await send(prompt))

    # A message that went out must be recorded, or a shutdown could not take its buttons away.
    await _uninterrupted(ask())
    await deps.notifier.application_changed(app)
    # After the submit claim (a CAPTCHA the page refused on sending) the page as it stands is the
    # only copy of what was sent, and a CAPTCHA's answer belongs to this page (the picture shown, the
    # widget solved through the live view): such prompts keep the browser until answered or expired.
    keeps_browser = app.submit_started_at is not None or kind is PromptKind.CAPTCHA
    hold = None if keeps_browser else attempt.hold(deps.park_after)
    closed = await deps.bridge.wait(prompt.id, hold=hold)
    if closed is None:
        if payload.get("field") == _AGENT_QUESTION:  # asked mid-run: the agent goes on without the answer
            withdrawn = await close_prompt(
                prompt.id, PromptStatus.CANCELLED, prompts=deps.prompts, notifier=deps.notifier
            )
            if withdrawn is not None:
                await _moved(deps, app.id, S.RUNNING, [S.WAITING_USER], f"{kind.value} left unanswered")
                raise _Unanswered
        elif (parked := await deps.prompts.park(prompt.id)) is not None:
            if deps.live_view is not None and kind in (PromptKind.REVIEW, PromptKind.QUESTION):
                # Its live view ends with the browser: the button goes, and the message says why.
                with contextlib.suppress(Exception):
                    await deps.notifier.live_view_closed(parked)
            raise _Parked(app)
        closed = await deps.prompts.get(prompt.id)  # answered or closed at that very moment
    if closed is None or closed.status is not PromptStatus.ANSWERED or not closed.answer:
        if closed is not None:
            await deps.notifier.prompt_closed(closed)
        raise _Stopped(await _moved(deps, app.id, S.TIMED_OUT, [S.WAITING_USER], f"nobody answered the {kind.value}"))
    return closed.answer


async def _count_llm(deps: ApplyDeps, app: Application, usage: UsageCounter) -> None:
    """Record the calls, tokens and cost of the chat model's calls for the application."""
    if usage.calls:
        model = getattr(deps.llm, "model_name", None)
        await deps.applications.add_llm_usage(
            app.id, usage.calls, usage.total_tokens, cost_usd=deps.llm_prices.of(model, usage), model=model
        )


async def _remember(deps: ApplyDeps, app: Application, question: str, answer: str, source: AnswerSource) -> None:
    """Save the user's answer for the next form that asks the same question."""
    if len(question) > MAX_SAVED_QUESTION or len(answer) > MAX_SAVED_ANSWER:
        log.info("application %s: answer to %r too long to remember", app.id, question[:80])
        return
    await deps.answers.save(app.user_id, question, answer, source, application_id=app.id)


async def _job_context(deps: ApplyDeps, app: Application) -> str:
    """The job as the LLM is told about it: title, company, location and the posting's text."""
    heading = " · ".join(part for part in (app.title, app.company, app.location) if part)
    description = await deps.applications.job_description(app.id)
    return "\n".join(part for part in (heading, description) if part)


async def _submit_once(
    deps: ApplyDeps, app: Application, adapter: FormAdapter, browser: BrowserSession
) -> Application | None:
    """Claim the single submit, click, and record what the page says.

    None when the page refused the form with its own errors: nothing was accepted, so the claim is
    released and the user gets the form back to correct or send again. A confirmed or unknown
    outcome keeps the claim forever.
    """
    if not await deps.applications.claim_submission(app.id):
        current = await deps.applications.get(app.id)
        if current is not None and current.status is not S.RUNNING:
            raise _Stopped(current)  # cancelled just before the click
        raise ApplyFailed("This application was already submitted once; I will not submit it again.")
    result = await _resubmit_refused_captcha(deps, app, adapter, browser, await adapter.submit(browser))
    await deps.applications.set_outcome(app.id, result.outcome.value)
    if result.outcome is SubmitOutcome.CONFIRMED:
        return await _moved(deps, app.id, S.SUBMITTED, [S.RUNNING], f"confirmed at {result.url}")
    if result.outcome is SubmitOutcome.VALIDATION_ERRORS:
        await deps.applications.release_submission(app.id)
        await deps.applications.note(app.id, f"the form refused it: {result.detail}"[:500])
        await deps.notifier.say(
            app.user_id,
            f"#{app.id}: the form refused the application and accepted nothing: {escape(result.detail)}\n"
            "Fix a field in the review below, or tap Submit to send it again.",
        )
        return None
    # The click happened but the page said nothing we recognise: never retry automatically.
    return await _moved(deps, app.id, S.SUBMITTED, [S.RUNNING], f"outcome unknown ({result.detail}); check your e-mail")


async def _moved(
    deps: ApplyDeps, app_id: int, to: ApplicationStatus, sources: Iterable[ApplicationStatus], note: str
) -> Application:
    moved = await deps.applications.transition(app_id, to, from_statuses=sources, note=note)
    if moved is None:
        # Someone else (a cancel, a timeout sweep) moved it first: stop here.
        raise _Stopped(await deps.applications.get(app_id))
    return moved


async def _fail(deps: ApplyDeps, app_id: int, reason: str) -> Application | None:
    failed = await deps.applications.transition(
        app_id, S.FAILED, from_statuses=[S.RUNNING, S.WAITING_USER], note=reason, error=reason
    )
    return failed or await deps.applications.get(app_id)


async def _requeue_after_shutdown(deps: ApplyDeps, app_id: int) -> None:
    """A stopping worker parks the prompt it holds (the answer resumes the application on any worker);
    work that was filling goes back to the queue; a claimed submit is never run again."""
    current = await deps.applications.get(app_id)
    latest = await deps.prompts.latest_for_application(app_id)
    if (
        current is not None
        and current.status is S.WAITING_USER
        and current.submit_started_at is None
        and latest is not None
        and latest.parked_at is None
        and (taken := await deps.prompts.take_over(latest.id)) is not None
    ):
        if taken.status is PromptStatus.ANSWERED:
            await deps.bridge.resume(taken)  # answered just now: whichever worker runs next carries it out
        log.info("application %s: parked on shutdown", app_id)
        return
    await _cancel_open_prompt(deps, app_id)
    current = await deps.applications.get(app_id)
    if current is None or current.submit_started_at is not None:
        # After the submit click we cannot know what the employer received: never run it again.
        await _fail(deps, app_id, "The worker stopped while submitting; check your e-mail before retrying.")
    else:
        await deps.applications.transition(
            app_id, S.QUEUED, from_statuses=[S.RUNNING, S.WAITING_USER], note="worker stopped; re-queued"
        )
    if (app := await deps.applications.get(app_id)) is not None:
        await deps.notifier.application_changed(app)


async def _cancel_open_prompt(deps: ApplyDeps, app_id: int) -> None:
    prompt = await deps.prompts.pending_for_application(app_id)
    if prompt is not None:
        await close_prompt(prompt.id, PromptStatus.CANCELLED, prompts=deps.prompts, notifier=deps.notifier)


def _materialise(stored: StoredFile | UploadedFile | None, folder: Path) -> Path | None:
    if stored is None:
        return None
    folder.mkdir(exist_ok=True)
    path = folder / Path(stored.filename).name
    path.write_bytes(stored.content)
    return path


def _field_records(form: FilledForm) -> list[FieldRecord]:
    return [FieldRecord(f.label, f.selector, f.intended, f.actual, f.required) for f in form.fields]


async def _uninterrupted(work: Coroutine[Any, Any, None]) -> None:
    """Finish `work` even if we are cancelled meanwhile; the cancellation is raised afterwards."""
    task = asyncio.ensure_future(work)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


@contextlib.asynccontextmanager
async def _heartbeat(browser_sessions: BrowserSessionRepository, session_id: int) -> AsyncIterator[None]:
    async def beat() -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                await browser_sessions.heartbeat(session_id)
            except Exception:  # a database outage longer than the retries: keep beating, say so
                log.exception("browser session %s: heartbeat failed; trying again in %.0f s", session_id, HEARTBEAT_S)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
