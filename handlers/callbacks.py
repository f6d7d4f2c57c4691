"""Typed callback data for every inline button (each packs to well under Telegram's 64 bytes)."""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData

from automation.captcha import CaptchaDecision
from storage.models import LetterDecision, ReviewDecision


class CardAction(str, enum.Enum):
    APPLY = "apply"
    SKIP = "skip"


class CardCallback(CallbackData, prefix="job"):
    action: CardAction
    application_id: int


class ReviewCallback(CallbackData, prefix="rev"):
    """Submit / Cancel / Fix a field / Let me do this myself under a review."""

    decision: ReviewDecision
    prompt_id: int


class ReviewCallbackAnyDecision(CallbackData, prefix="rev"):
    """ReviewCallback's layout with any decision: only a forged button has one ReviewDecision lacks."""

    decision: str
    prompt_id: int


class QuestionCallback(CallbackData, prefix="qa"):
    """One option of a form's question asked in the chat."""

    prompt_id: int
    option_index: int  # into the prompt payload's "options"


class CaptchaCallback(CallbackData, prefix="cap"):
    """Done / Cancel under a CAPTCHA the user solves in the browser window."""

    decision: CaptchaDecision
    prompt_id: int


class LetterCallback(CallbackData, prefix="cl"):
    """Use the cover letter written for a job, or go on without it."""

    decision: LetterDecision
    prompt_id: int


class LetterCallbackAnyDecision(CallbackData, prefix="cl"):
    """LetterCallback's layout with any decision: only a forged button has one LetterDecision lacks."""

    decision: str
    prompt_id: int


class DigestAction(str, enum.Enum):
    APPLY = "apply"  # one job waiting for Apply/Skip
    SKIP = "skip"
    APPLY_ALL = "all"  # the jobs the digest listed at or above the threshold
    RETRY = "retry"  # a failed or timed-out application
    SHOW = "show"  # show a waiting prompt (review, question, ...) again
    TODAY = "today"  # count a /digest as today's digest


class DigestCallback(CallbackData, prefix="dg"):
    """A button in a digest. Each one re-checks the item's state, so a days-old tap is harmless."""

    action: DigestAction
    digest_id: int  # its digests row (what "Apply all" meant)
    item: int = 0  # an application id, or a prompt id for SHOW


class JobsFilter(str, enum.Enum):
    ALL = "all"
    ACTIVE = "active"
    SUBMITTED = "done"
    PROBLEMS = "problems"


class JobsPage(CallbackData, prefix="jobs"):
    view: JobsFilter
    page: int


class JobDetails(CallbackData, prefix="jd"):
    application_id: int


class SettingsField(str, enum.Enum):
    AUTO_APPLY = "auto"
    SKIP_BELOW = "skip"
    DAILY_CAP = "cap"
    DIGEST = "digest"
    REVIEW = "review"
    QUIET_DIGEST = "quiet"


class SettingsCallback(CallbackData, prefix="set"):
    field: SettingsField


class ProfileField(str, enum.Enum):
    """A field of the profile as the chat asks for it (a value may set several model fields)."""

    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"
    LINKEDIN = "linkedin"
    GITHUB = "github"
    WEBSITE = "website"
    LOCATION = "location"
    HEADLINE = "headline"
    COMPANY = "company"
    YEARS = "years"
    SKILLS = "skills"
    WORK_AUTHORIZATION = "auth"
    SPONSORSHIP = "sponsor"
    SALARY = "salary"
    NOTICE = "notice"
    RELOCATION = "relocate"
    REMOTE = "remote"
    GENDER = "gender"
    RACE = "race"
    VETERAN = "veteran"
    DISABILITY = "disability"


class FieldMove(str, enum.Enum):
    PICK = "pick"  # one of the field's choices
    KEEP = "keep"  # leave the value as it is ("Skip" in the setup)
    CLEAR = "clear"  # empty an optional field


class FieldButton(CallbackData, prefix="pf"):
    """A button under a profile question, in the setup or when editing a field."""

    field: ProfileField
    move: FieldMove
    choice: int = 0  # index into the field's choices, for PICK


class SetupMove(str, enum.Enum):
    NO_RESUME = "nores"
    CONFIRM = "ok"
    EDIT = "edit"
    STOP = "stop"


class SetupButton(CallbackData, prefix="su"):
    """The guided setup's own buttons: go on without a résumé, confirm or change a detail, stop."""

    move: SetupMove
    field: ProfileField | None = None


class ProfileEdit(CallbackData, prefix="pe"):
    """An "Edit" button on the profile: asks for a new value of one field."""

    field: ProfileField


class AnswerMove(str, enum.Enum):
    PAGE = "page"
    OPEN = "open"
    ADD = "add"
    EDIT = "edit"
    DELETE = "del"
    DELETE_CONFIRMED = "delok"
    CANCEL = "cancel"


class AnswersButton(CallbackData, prefix="ans"):
    """/answers: paging, one answer, add, edit, delete (confirmed), cancel a question."""

    move: AnswerMove
    answer_id: int = 0
    page: int = 0
