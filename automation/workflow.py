"""The use cases the chat and the scheduler trigger, below the chat: taking in a job link, approving
(queueing) or skipping a job, cancelling and retrying an application, pausing, and closing a pending
prompt. The rules live here once: pause, the daily cap, "résumé required", submitted at most once.

Each function takes the repositories and services it needs and returns a typed result; what the user
reads is written by the handlers (handlers/wording.py), never here.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from langchain_core.language_models import BaseChatModel

from automation import tracing
from automation.costs import LLMPrices
from automation.llm import UsageCounter
from automation.matching import score_job
from automation.notifier import Notifier
from automation.postings import PostingFetchError, fetch_posting
from automation.prompts import PromptBridge
from automation.queue import ApplicationQueue
from automation.urls import UnsafeUrl, check_url, job_link_hint
from storage.applications import ApplicationRepository
from storage.models import Application, ApplicationStatus, Prompt, PromptStatus
from storage.profiles import ProfileRepository, StoredProfile
from storage.prompts import PromptRepository
from storage.user_settings import UserSettings, UserSettingsRepository

log = logging.getLogger(__name__)
S = ApplicationStatus

# Apply again is offered only where no submission has been attempted.
APPLY_AGAIN_FROM = frozenset({S.SKIPPED, S.FAILED, S.TIMED_OUT, S.CANCELLED})
APPLY_FROM = (S.RECEIVED, S.SCORED, S.AWAITING_APPROVAL, *APPLY_AGAIN_FROM)
SKIP_FROM = (S.RECEIVED, S.SCORED, S.AWAITING_APPROVAL)
CANCEL_FROM = (S.RECEIVED, S.SCORED, S.AWAITING_APPROVAL, S.QUEUED, S.RUNNING, S.WAITING_USER)
CAP_WINDOW = timedelta(days=1)
POSTING_TIMEOUT_S = 8.0
TAILORED_ABOVE = 80  # a match above this deserves a tailored application


# --------------------------------------------------------------------------- apply, skip, retry


class Outcome(enum.Enum):
    """What became of a request to apply, skip or retry."""

    QUEUED = "queued"
    SKIPPED = "skipped"
    ALREADY = "already"  # it had moved on meanwhile: nothing changed
    NOT_RETRYABLE = "not_retryable"  # only failed, timed-out, cancelled or skipped ones are retried
    # Refusals: the user must notice them (and can act on them).
    SUBMITTED_ONCE = "submitted_once"
    PAUSED = "paused"
    DAILY_CAP = "daily_cap"
    NO_RESUME = "no_resume"


REFUSALS = frozenset({Outcome.SUBMITTED_ONCE, Outcome.PAUSED, Outcome.DAILY_CAP, Outcome.NO_RESUME})


@dataclass(frozen=True)
class Decision:
    """The application as it now is, and what became of the request (`daily_cap`: the cap reached)."""

    application: Application
    outcome: Outcome
    daily_cap: int | None = None

    @property
    def refused(self) -> bool:
        return self.outcome in REFUSALS


async def refusal(
    app: Application,
    user_id: int,
    *,
    applications: ApplicationRepository,
    profiles: ProfileRepository,
    user_settings: UserSettingsRepository,
) -> Decision | None:
    """Why the application may not be queued now (submitted once, paused, the daily cap, no résumé), or None."""
    if app.submit_started_at is not None:
        return Decision(app, Outcome.SUBMITTED_ONCE)
    preferences = await user_settings.get(user_id)
    if preferences.paused:
        return Decision(app, Outcome.PAUSED)
    # Queued, running and waiting ones count too, or auto-apply could queue past the cap.
    counted = await applications.counted_toward_cap(user_id, datetime.now(UTC) - CAP_WINDOW)
    if counted >= preferences.daily_cap:
        return Decision(app, Outcome.DAILY_CAP, daily_cap=preferences.daily_cap)
    stored = await profiles.get(user_id)
    if stored is None or stored.resume is None:
        return Decision(app, Outcome.NO_RESUME)
    return None


async def queue_application(
    app: Application,
    user_id: int,
    *,
    applications: ApplicationRepository,
    profiles: ProfileRepository,
    user_settings: UserSettingsRepository,
    queue: ApplicationQueue,
    from_statuses: Iterable[ApplicationStatus] = APPLY_FROM,
) -> Decision:
    """Apply (or apply again): queue the application unless a rule refuses it.

    `from_statuses` narrows where it may be queued from (a digest's Retry only retries what failed).
    """
    if (
        refused := await refusal(
            app, user_id, applications=applications, profiles=profiles, user_settings=user_settings
        )
    ) is not None:
        return refused
    moved = await applications.transition(
        app.id, S.QUEUED, from_statuses=from_statuses, user_id=user_id, note="approved by the user"
    )
    if moved is None:
        return Decision(app, Outcome.ALREADY)
    await queue.enqueue(moved, await applications.attempts(moved.id))
    return Decision(moved, Outcome.QUEUED)


async def retry_application(
    app: Application,
    user_id: int,
    *,
    applications: ApplicationRepository,
    profiles: ProfileRepository,
    user_settings: UserSettingsRepository,
    queue: ApplicationQueue,
) -> Decision:
    """Queue a failed, timed-out, cancelled or skipped application again, under the same rules."""
    if app.status not in APPLY_AGAIN_FROM:
        return Decision(app, Outcome.NOT_RETRYABLE)
    return await queue_application(
        app, user_id, applications=applications, profiles=profiles, user_settings=user_settings, queue=queue
    )


async def skip_application(app: Application, user_id: int, *, applications: ApplicationRepository) -> Decision:
    moved = await applications.transition(
        app.id, S.SKIPPED, from_statuses=SKIP_FROM, user_id=user_id, note="skipped by the user"
    )
    return Decision(moved, Outcome.SKIPPED) if moved is not None else Decision(app, Outcome.ALREADY)


# --------------------------------------------------------------------------- cancel


class CancelOutcome(enum.Enum):
    CANCELLED = "cancelled"  # nothing was submitted
    SUBMITTING = "submitting"  # the submit is claimed: the form may be on its way, too late to cancel
    NOTHING_TO_CANCEL = "nothing_to_cancel"  # it had already ended


@dataclass(frozen=True)
class Cancellation:
    application: Application
    outcome: CancelOutcome


async def cancel_application(
    app: Application,
    user_id: int,
    *,
    applications: ApplicationRepository,
    prompts: PromptRepository,
    bridge: PromptBridge,
) -> Cancellation:
    """Cancel the application unless its submit is claimed; a prompt it waits on is closed (the worker
    holding it wakes, sees the cancel, tells the user and closes its browser)."""
    # Once the submit is claimed the form may be on its way: a cancel then would be a lie.
    moved = await applications.transition(
        app.id,
        S.CANCELLED,
        from_statuses=CANCEL_FROM,
        user_id=user_id,
        note="cancelled by the user",
        unclaimed=True,
    )
    if moved is None:
        now = await applications.get(app.id, user_id=user_id) or app
        if now.submit_claimed and not now.status.is_final:
            return Cancellation(now, CancelOutcome.SUBMITTING)
        return Cancellation(now, CancelOutcome.NOTHING_TO_CANCEL)
    pending = await prompts.pending_for_application(app.id)
    if pending is not None:
        await close_prompt(pending.id, PromptStatus.CANCELLED, prompts=prompts, bridge=bridge)
    return Cancellation(moved, CancelOutcome.CANCELLED)


# --------------------------------------------------------------------------- prompts


async def close_prompt(
    prompt_id: int,
    status: PromptStatus,
    *,
    prompts: PromptRepository,
    notifier: Notifier | None = None,
    bridge: PromptBridge | None = None,
) -> Prompt | None:
    """Close a pending prompt (expired or cancelled); None if it was no longer pending.

    With `bridge`, the worker waiting on it wakes; with `notifier`, its chat message says it is closed
    and loses its buttons (left out where the woken worker says so itself).
    """
    closed = await prompts.close(prompt_id, status)
    if closed is None:
        return None
    if bridge is not None:
        await bridge.notify(closed.id)
    if notifier is not None:
        await notifier.prompt_closed(closed)
    return closed


# --------------------------------------------------------------------------- pause


class PauseOutcome(enum.Enum):
    PAUSED = "paused"
    ALREADY_PAUSED = "already_paused"
    RESUMED = "resumed"
    NOT_PAUSED = "not_paused"


async def set_paused(user_id: int, paused: bool, *, user_settings: UserSettingsRepository) -> PauseOutcome:
    """Pause (no new application starts; see `refusal`) or resume."""
    unchanged = await user_settings.set_paused(user_id, paused)
    if paused:
        return PauseOutcome.ALREADY_PAUSED if unchanged else PauseOutcome.PAUSED
    return PauseOutcome.NOT_PAUSED if unchanged else PauseOutcome.RESUMED


# --------------------------------------------------------------------------- intake


class LinkOutcome(enum.Enum):
    NOT_A_JOB = "not_a_job"  # clearly not a posting: `reason` says why
    UNSAFE = "unsafe"  # may not be opened: `reason` says why
    NEW = "new"  # a new application, described, scored and waiting for the user (or auto-applied)
    SEEN_BEFORE = "seen_before"  # the same job was sent before: its application as it is


@dataclass(frozen=True)
class LinkIntake:
    """What became of one link. With NEW and an auto-apply threshold the score reached,
    `auto_apply` is what became of queueing it."""

    link: str
    outcome: LinkOutcome
    application: Application | None = None
    reason: str = ""
    auto_apply: Decision | None = None
    auto_apply_threshold: int | None = None


async def take_link(
    link: str,
    user_id: int,
    *,
    applications: ApplicationRepository,
    profiles: ProfileRepository,
    user_settings: UserSettingsRepository,
    queue: ApplicationQueue,
    allow_hosts: Sequence[str] = (),
    llm: BaseChatModel | None = None,
    llm_prices: LLMPrices | None = None,
) -> LinkIntake:
    """One job link: checked, stored (once per job), described from its page, scored, put before the user,
    and queued at once when its score reaches the user's auto-apply threshold."""
    if hint := job_link_hint(link):
        return LinkIntake(link, LinkOutcome.NOT_A_JOB, reason=hint)
    try:
        checked = await check_url(link, allow_hosts=allow_hosts)
    except UnsafeUrl as exc:
        return LinkIntake(link, LinkOutcome.UNSAFE, reason=str(exc))
    intake = await applications.intake(user_id, url=checked.url, canonical_url=checked.canonical, host=checked.host)
    app = intake.application
    if not intake.created:
        return LinkIntake(link, LinkOutcome.SEEN_BEFORE, app)
    app, posting_text = await _describe(applications, app, allow_hosts)
    preferences = await user_settings.get(user_id)
    stored = await profiles.get(user_id)
    app = await _score(applications, app, posting_text, stored, preferences, llm, llm_prices or LLMPrices())
    app = (
        await applications.transition(
            app.id,
            S.AWAITING_APPROVAL,
            from_statuses=[S.RECEIVED, S.SCORED],
            note="asked the user",
        )
        or app
    )
    threshold = preferences.auto_apply_threshold
    if threshold is None or app.score is None or app.score < threshold:
        return LinkIntake(link, LinkOutcome.NEW, app)
    decision = await queue_application(
        app,
        user_id,
        applications=applications,
        profiles=profiles,
        user_settings=user_settings,
        queue=queue,
    )
    return LinkIntake(link, LinkOutcome.NEW, decision.application, auto_apply=decision, auto_apply_threshold=threshold)


async def _describe(
    applications: ApplicationRepository, app: Application, allow_hosts: Sequence[str]
) -> tuple[Application, str]:
    """Title, company and location from the posting page, and its text; the card goes out without them
    if the page cannot be read."""
    try:
        posting = await fetch_posting(app.url, allow_hosts=allow_hosts, timeout_s=POSTING_TIMEOUT_S)
    except PostingFetchError as exc:
        log.info("application %s: posting not read: %s", app.id, exc)
        return app, ""
    await applications.describe_job(
        app.job_id,
        title=posting.title,
        company=posting.company,
        location=posting.location,
        description=posting.description,
        ats=posting.ats.value if posting.ats else None,
    )
    return await applications.get(app.id) or app, posting.description


async def _score(
    applications: ApplicationRepository,
    app: Application,
    posting_text: str,
    stored: StoredProfile | None,
    preferences: UserSettings,
    llm: BaseChatModel | None,
    prices: LLMPrices,
) -> Application:
    """Score the job against the profile (LLM when configured, keywords otherwise); its LLM cost is the job's."""
    if stored is None or not posting_text:
        return app
    usage = UsageCounter()
    try:
        with tracing.for_application(app.id, app.user_id, "score"):
            match = await score_job(
                posting_text,
                app.title,
                stored.profile,
                model=llm,
                usage=usage,
                skip_below=preferences.skip_threshold,
                tailored_above=max(preferences.skip_threshold, TAILORED_ABOVE),
                profile_summary=stored.profile.summary,
            )
    finally:
        if usage.calls:
            model = getattr(llm, "model_name", None)
            await applications.add_llm_usage(
                app.id, usage.calls, usage.total_tokens, cost_usd=prices.of(model, usage), model=model
            )
    details: dict[str, object] = {
        "reasons": match.reasons,
        "missing": match.missing,
        "effort": match.effort.value,
        "source": match.source.value,
    }
    return await applications.record_score(app.id, match.score, details) or app
