"""The apply task: open the job in a browser, fill it, ask for review, submit at most once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import tempfile
from collections.abc import AsyncIterator, Coroutine, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from automation.adapters import open_application
from automation.adapters.base import ApplicantFiles, FilledForm, SubmitOutcome, UnsupportedForm
from automation.browser import BrowserOptions, open_browser
from automation.notifier import Notifier
from automation.prompts import PromptBridge
from automation.urls import UnsafeUrl, check_url
from storage.answers import AnswerRepository
from storage.applications import ApplicationRepository, FieldRecord
from storage.models import (
    Application,
    ApplicationStatus,
    PromptKind,
    PromptStatus,
    ReviewDecision,
    StoredFile,
)
from storage.profiles import ProfileRepository
from storage.prompts import PromptRepository
from storage.user_settings import UserSettingsRepository

log = logging.getLogger(__name__)
S = ApplicationStatus

HEARTBEAT_SECONDS = 20.0


@dataclass
class ApplyDeps:
    applications: ApplicationRepository
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


class ApplyFailed(Exception):
    """A failure to tell the user about in one sentence."""


async def apply_to_job(deps: ApplyDeps, application_id: int) -> str:
    """Run one queued application to its next resting state; returns that state's name."""
    app = await deps.applications.transition(
        application_id, S.RUNNING, from_statuses=[S.QUEUED], note="worker picked it up"
    )
    if app is None:
        return "not-queued"
    await deps.notifier.application_changed(app)
    session_id = await deps.applications.open_browser_session(app.id, deps.worker_name)
    end_reason = "error"
    try:
        async with _heartbeat(deps.applications, session_id):
            app = await _run(deps, app)
        end_reason = app.status.value
    except asyncio.CancelledError:
        # The process is stopping: hand the work back to the queue so a restart picks it up.
        end_reason = "shutdown"
        await _requeue_after_shutdown(deps, application_id)
        raise
    except _Superseded as exc:
        app = exc.current
    except ApplyFailed as exc:
        app = await _fail(deps, app.id, str(exc))
    except Exception:
        log.exception("application %s: unexpected error while applying", application_id)
        app = await _fail(deps, application_id, "Something went wrong in the browser; tap Retry later or apply by hand.")
    finally:
        await deps.applications.close_browser_session(session_id, end_reason)
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
        async with open_browser(deps.browser_options) as browser:
            try:
                adapter = await open_application(browser, app.url, guard=guard)
            except UnsupportedForm as exc:
                raise ApplyFailed(f"I could not recognise an application form there: {exc}") from None
            # Answers saved in the chat take precedence over those in the profile file.
            saved = await deps.answers.as_mapping(app.user_id)
            profile = stored.profile.model_copy(update={"answers": {**stored.profile.answers, **saved}})
            form = await adapter.fill(browser, profile, files)
            await deps.applications.record_fields(app.id, _field_records(form))
            if not form.problems and not (await deps.user_settings.get(app.user_id)).review_required:
                return await _submit_once(deps, app, adapter, browser)  # the user chose no review
            decision = await _review(deps, app, form)
            if decision is None:
                return await _moved(deps, app.id, S.TIMED_OUT, [S.WAITING_USER], "nobody answered the review")
            if decision is ReviewDecision.CANCEL:
                return await _moved(deps, app.id, S.CANCELLED, [S.WAITING_USER], "cancelled at review")
            app = await _moved(deps, app.id, S.RUNNING, [S.WAITING_USER], "review approved")
            return await _submit_once(deps, app, adapter, browser)


async def _review(deps: ApplyDeps, app: Application, form: FilledForm) -> ReviewDecision | None:
    """Ask the user to approve the filled form; None when the prompt expired or was withdrawn."""
    app = await _moved(deps, app.id, S.WAITING_USER, [S.RUNNING], "review requested")
    prompt = await deps.prompts.create(
        app.id,
        app.user_id,
        PromptKind.REVIEW,
        {"ats": form.ats, "url": form.url, "problems": [f.label for f in form.problems]},
        datetime.now(timezone.utc) + deps.review_timeout,
    )
    async def ask() -> None:
        await deps.prompts.set_message(prompt.id, await deps.notifier.ask_review(app, prompt, form))

    # A message that went out must be recorded, or a shutdown could not take its buttons away.
    await _uninterrupted(ask())
    await deps.notifier.application_changed(app)
    closed = await deps.bridge.wait(prompt.id)
    if closed.status is not PromptStatus.ANSWERED or not closed.answer:
        await deps.notifier.prompt_closed(closed)
        return None
    return ReviewDecision(closed.answer["decision"])


async def _submit_once(deps: ApplyDeps, app: Application, adapter, browser) -> Application:
    if not await deps.applications.claim_submission(app.id):
        raise ApplyFailed("This application was already submitted once; I will not submit it again.")
    result = await adapter.submit(browser)
    await deps.applications.set_outcome(app.id, result.outcome.value)
    if result.outcome is SubmitOutcome.CONFIRMED:
        return await _moved(deps, app.id, S.SUBMITTED, [S.RUNNING], f"confirmed at {result.url}")
    if result.outcome is SubmitOutcome.VALIDATION_ERRORS:
        raise ApplyFailed(f"The form refused the application: {result.detail}")
    # The click happened but the page said nothing we recognise: never retry automatically.
    return await _moved(
        deps, app.id, S.SUBMITTED, [S.RUNNING], f"outcome unknown ({result.detail}); check your e-mail"
    )


async def _moved(
    deps: ApplyDeps, app_id: int, to: ApplicationStatus, sources: Iterable[ApplicationStatus], note: str
) -> Application:
    moved = await deps.applications.transition(app_id, to, from_statuses=sources, note=note)
    if moved is None:
        # Someone else (a cancel, a timeout sweep) moved it first: stop here.
        current = await deps.applications.get(app_id)
        raise _Superseded(current)
    return moved


class _Superseded(ApplyFailed):
    def __init__(self, current: Application | None) -> None:
        super().__init__("superseded")
        self.current = current


async def _fail(deps: ApplyDeps, app_id: int, reason: str) -> Application | None:
    failed = await deps.applications.transition(
        app_id, S.FAILED, from_statuses=[S.RUNNING, S.WAITING_USER], note=reason, error=reason
    )
    return failed or await deps.applications.get(app_id)


async def _requeue_after_shutdown(deps: ApplyDeps, app_id: int) -> None:
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
    if prompt is not None and (closed := await deps.prompts.close(prompt.id, PromptStatus.CANCELLED)):
        await deps.notifier.prompt_closed(closed)


def _materialise(stored: StoredFile | None, folder: Path) -> Path | None:
    if stored is None:
        return None
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
async def _heartbeat(applications: ApplicationRepository, session_id: int) -> AsyncIterator[None]:
    async def beat() -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            await applications.heartbeat(session_id)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
