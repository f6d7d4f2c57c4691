"""What the chat says about an application's life: status names, and the sentences that render the
results of the workflow (automation/workflow.py): apply, skip, retry, cancel, pause, a link taken in."""

from __future__ import annotations

from html import escape

from automation.workflow import (
    Cancellation,
    CancelOutcome,
    Decision,
    LinkIntake,
    LinkOutcome,
    Outcome,
    PauseOutcome,
)
from storage.models import ApplicationStatus

S = ApplicationStatus
STATUS_LABELS = {
    S.RECEIVED: "received",
    S.SCORED: "scored",
    S.AWAITING_APPROVAL: "waiting for your decision",
    S.QUEUED: "queued",
    S.RUNNING: "filling the form",
    S.WAITING_USER: "waiting for you",
    S.SUBMITTED: "submitted",
    S.SKIPPED: "skipped",
    S.REJECTED: "rejected",
    S.FAILED: "failed",
    S.TIMED_OUT: "timed out",
    S.CANCELLED: "cancelled",
}
LINK_SHOWN = 200  # characters of a refused link repeated in the chat


def status_label(status: ApplicationStatus) -> str:
    return STATUS_LABELS[status]


def decision_sentence(decision: Decision) -> str:
    """One sentence (plain text) on what became of an Apply, Skip or Retry."""
    app = decision.application
    match decision.outcome:
        case Outcome.QUEUED:
            return "Queued: I will open the form and come back to you for review."
        case Outcome.SKIPPED:
            return "Skipped."
        case Outcome.ALREADY:
            return f"It is already {status_label(app.status)}."
        case Outcome.NOT_RETRYABLE:
            return (
                f"#{app.id} is {status_label(app.status)}; "
                "only failed, timed-out, cancelled or skipped ones can be retried."
            )
        case Outcome.SUBMITTED_ONCE:
            return "This application was already submitted once; I will not send it again."
        case Outcome.PAUSED:
            return "You paused applying. Send /resume to start again."
        case Outcome.DAILY_CAP:
            return f"You reached your cap of {decision.daily_cap} application(s) a day; change it in /settings."
        case Outcome.NO_RESUME:
            return "Load your profile and résumé first: send /profile to see how."


def cancellation_sentence(cancellation: Cancellation) -> str:
    """One sentence (plain text) on what became of a /cancel."""
    app = cancellation.application
    match cancellation.outcome:
        case CancelOutcome.CANCELLED:
            return f"#{app.id} cancelled. Nothing was submitted."
        case CancelOutcome.SUBMITTING:
            return f"#{app.id} is being sent to the employer right now; it can no longer be cancelled."
        case CancelOutcome.NOTHING_TO_CANCEL:
            return f"#{app.id} is {status_label(app.status)}; there is nothing to cancel."


PAUSE_REPLIES = {
    PauseOutcome.PAUSED: "Paused: I will not start new applications until you send /resume.",
    PauseOutcome.ALREADY_PAUSED: "Already paused.",
    PauseOutcome.RESUMED: "Resumed: tap Apply on any job to continue.",
    PauseOutcome.NOT_PAUSED: "Not paused.",
}


def too_many_links(count: int, limit: int) -> str:
    return f"That is {count} links; I take up to {limit} per message."


def link_refused(intake: LinkIntake) -> str:
    """The reply (HTML) to a link not taken: clearly not a job posting, or not safe to open."""
    mark = "🤔" if intake.outcome is LinkOutcome.NOT_A_JOB else "🚫"
    return f"{mark} {escape(intake.link[:LINK_SHOWN])}\n{escape(intake.reason)}"


def link_taken_note(intake: LinkIntake) -> str:
    """What goes above the card of a link taken in (HTML): an auto-apply's outcome, or that it was sent before."""
    app = intake.application
    assert app is not None
    if intake.outcome is LinkOutcome.SEEN_BEFORE:
        return f"You sent this job before (#{app.id}); it is {status_label(app.status)}.\n\n"
    if intake.auto_apply is not None:
        return f"Auto-apply (match ≥ {intake.auto_apply_threshold}): {decision_sentence(intake.auto_apply)}\n\n"
    return ""
