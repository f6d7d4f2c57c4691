"""The VibeSurf backend: a VibeSurf service (its own browser and agent) fills the form for us.

VibeSurf (github.com/vibesurf-ai/VibeSurf) runs as a separate FastAPI service. Its stock API,
as read in its `backend/api/{files,task,activity}.py`, uploads files (`POST /api/files/upload`),
runs one task at a time (`POST /api/tasks/submit`, answering `{"success": false}` while another
runs), reports a task's status and result (`GET /api/activity/{task_id}`) and stops it
(`POST /api/tasks/stop`). It has no API keys, no way to ask a question mid-task, no structured
result and no "submit only after approval" step. This client therefore speaks the minimal
task API below: stock paths and fields where VibeSurf has them, and the marked [ext] parts that
a thin bridge in front of VibeSurf (or VibeSurf itself) must add. `tests/fakes/vibesurf_api.py`
speaks exactly this.

  Every /api request carries `Authorization: Bearer <api key>`; errors are non-2xx JSON
  `{"detail": "..."}`: 401 wrong key, 404 unknown task, 409 wrong state, 5xx service failure.

  POST /api/files/upload      multipart: `files` (one part per file), `session_id`
      -> {"files": [{"file_id", "original_filename", "file_path"}]}
  POST /api/tasks/submit      {"session_id", "task_description", "upload_files_path": résumé path,
                               "sensitive_data": {placeholder: value} [ext],
                               "review_before_submit": true [ext]}
      -> {"success": true, "task_id"} or {"success": false, "message"} (busy)
  GET  /api/tasks/{task_id}   [ext; stock: GET /api/activity/{task_id}]
      -> {"task_id", "status", "error_message",
          "question": {"id", "text", "options": [..] | null} | null,         while waiting_for_user
          "form": {"url", "fields": [{"label", "kind", "value", "required"}],
                   "screenshot_base64": PNG} | null,                            from awaiting_review on
          "submission": {"outcome": confirmed|validation_errors|unknown,
                         "detail", "url"} | null}                               once submitted
      status: pending | running | waiting_for_user | awaiting_review | submitting | submitted
              | failed | stopped
  POST /api/tasks/{task_id}/answer   {"question_id", "answer": text | null}  [ext]
  POST /api/tasks/{task_id}/approve  {}  awaiting_review -> submitting         [ext]
  POST /api/tasks/stop               {"task_id", "reason"}  (stock takes only "reason")

Status is polled (VibeSurf has no event stream for tasks). The task never submits on its own:
a task seen submitting or submitted before our approval raises `SubmittedWithoutApproval`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
from pydantic import SecretStr

from automation.adapters.base import ApplicantFiles, FilledForm, SubmitOutcome, SubmitResult
from automation.backends.base import AgentUsage, Asker, BackendError, SubmittedWithoutApproval, reading

if TYPE_CHECKING:
    from storage.models import Profile

log = logging.getLogger(__name__)

NAME = "vibesurf"
ATS_NAME = "agent:vibesurf"
DEFAULT_POLL_INTERVAL_S = 1.0
# The longest VibeSurf may go without news (a new status, question or result) before we give up.
DEFAULT_IDLE_TIMEOUT_S = 15 * 60.0
REQUEST_TIMEOUT_S = 60.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

SECRET_EMAIL = "applicant_email"
SECRET_PHONE = "applicant_phone"

BEFORE_REVIEW = frozenset({"pending", "running", "waiting_for_user"})
SUBMITTING = frozenset({"submitting", "submitted"})
ENDED = frozenset({"submitted", "failed", "stopped"})


class VibeSurfError(BackendError):
    """VibeSurf refused a request or failed; the message is one sentence fit for the user."""


@dataclass(frozen=True)
class TaskState:
    """One status report of a VibeSurf task."""

    status: str
    question: Mapping[str, Any] | None
    form: Mapping[str, Any] | None
    submission: Mapping[str, Any] | None
    error_message: str | None


class VibeSurfBackend:
    """Fills a form through a VibeSurf service; see the module docstring for the API it speaks."""

    name = NAME

    def __init__(
        self,
        base_url: str,
        api_key: SecretStr,
        *,
        poll_interval_s: float = DEFAULT_POLL_INTERVAL_S,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"VIBESURF_URL must be an http(s) address, not {base_url[:100]!r}.")
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._poll_interval_s = poll_interval_s
        self._idle_timeout_s = idle_timeout_s
        self._http: aiohttp.ClientSession | None = None
        self._task_id: str | None = None
        self._status: str | None = None
        self._submitted = False
        self._form: FilledForm | None = None
        self.usage: AgentUsage | None = None  # VibeSurf runs its own model and does not report tokens

    async def __aenter__(self) -> VibeSurfBackend:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ----------------------------------------------------------------- the FormBackend interface

    async def fill(self, url: str, profile: Profile, files: ApplicantFiles, asker: Asker) -> FilledForm:
        if self._task_id is not None:
            raise BackendError("This backend already filled a form; use a new one for the next application.")
        session_id = f"nyx-{secrets.token_hex(8)}"
        uploaded = await self._upload(session_id, files)
        created = await self._request(
            "POST",
            "/api/tasks/submit",
            json={
                "session_id": session_id,
                "task_description": task_description(url, profile, files, uploaded),
                "upload_files_path": uploaded.get("resume"),
                "sensitive_data": _sensitive_data(profile),
                "review_before_submit": True,
            },
        )
        if not created.get("success") or not created.get("task_id"):
            message = str(created.get("message") or "it did not accept the task")
            raise VibeSurfError(f"VibeSurf did not start filling the form: {message}")
        self._task_id = str(created["task_id"])
        log.info("VibeSurf task %s started for %s", self._task_id, urlsplit(url).hostname)

        answers: dict[str, str | None] = {}
        asked: set[str] = set()
        state = await self._wait(lambda s: s.status not in BEFORE_REVIEW or _new_question(s, asked))
        while state.status == "waiting_for_user":
            question = state.question or {}
            question_id, text = str(question.get("id")), str(question.get("text") or "").strip()
            asked.add(question_id)
            options = [str(option) for option in question.get("options") or []] or None
            answer = await asker.ask(text, options)
            answers[text] = answer
            await self._request(
                "POST", f"/api/tasks/{self._task_id}/answer", json={"question_id": question_id, "answer": answer}
            )
            state = await self._wait(lambda s: s.status not in BEFORE_REVIEW or _new_question(s, asked))
        if state.status in SUBMITTING:
            raise SubmittedWithoutApproval(
                "VibeSurf sent the application before you approved it; check your e-mail and the site."
            )
        _raise_if_ended(state)
        if state.status != "awaiting_review" or not state.form:
            raise VibeSurfError(f"VibeSurf reported an unexpected state {state.status!r} instead of a filled form.")
        self._form = _filled_form(state.form, url, profile, files, answers)
        return self._form

    async def read_back(self) -> FilledForm:
        """The form as VibeSurf last reported it (its API cannot change a field after the fill)."""
        if self._form is None:
            raise BackendError("There is no filled form to read.")
        return self._form

    async def submit(self) -> SubmitResult:
        if self._submitted:
            raise BackendError("This form was already submitted once; I will not submit it again.")
        if self._task_id is None or self._status != "awaiting_review":
            raise BackendError("There is no filled form to submit.")
        self._submitted = True
        await self._request("POST", f"/api/tasks/{self._task_id}/approve", json={})
        state = await self._wait(lambda s: s.status in ENDED)
        _raise_if_ended(state, allow_submitted=True)
        submission = state.submission or {}
        try:
            outcome = SubmitOutcome(str(submission.get("outcome")))
        except ValueError:
            outcome = SubmitOutcome.UNKNOWN
        detail = str(submission.get("detail") or "VibeSurf gave no detail.")[:500]
        return SubmitResult(outcome, detail, str(submission.get("url") or ""))

    async def close(self) -> None:
        try:
            if self._task_id is not None and self._status not in ENDED and self._http is not None:
                await self._request(
                    "POST", "/api/tasks/stop", json={"task_id": self._task_id, "reason": "closed by Nyx"}
                )
                self._status = "stopped"
        except BackendError as exc:
            log.warning("could not stop VibeSurf task %s: %s", self._task_id, exc)
        finally:
            if self._http is not None:
                await self._http.close()
                self._http = None

    # ----------------------------------------------------------------- talking to VibeSurf

    async def _upload(self, session_id: str, files: ApplicantFiles) -> dict[str, str]:
        """Upload the résumé and cover letter; returns their paths on the VibeSurf side by role."""
        roles = [
            (role, path) for role, path in (("resume", files.resume), ("cover_letter", files.cover_letter)) if path
        ]
        if not roles:
            return {}
        form = aiohttp.FormData(quote_fields=False)  # VibeSurf (Starlette) takes file names as sent
        form.add_field("session_id", session_id)
        for _, path in roles:
            form.add_field("files", path.read_bytes(), filename=path.name, content_type="application/octet-stream")
        reply = await self._request("POST", "/api/files/upload", data=form)
        stored = reply.get("files") or []
        if len(stored) != len(roles) or not all(isinstance(item, dict) and item.get("file_path") for item in stored):
            raise VibeSurfError("VibeSurf did not store the uploaded files.")
        return {role: str(item["file_path"]) for (role, _), item in zip(roles, stored)}

    async def _wait(self, until: Callable[[TaskState], bool]) -> TaskState:
        """Poll the task until `until(state)` holds; VibeSurf silent for idle_timeout_s is an error."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._idle_timeout_s
        last_status = None
        while True:
            state = await self._state()
            if state.status != last_status:
                last_status = state.status
                deadline = loop.time() + self._idle_timeout_s
            if until(state) or state.status in ENDED:
                return state
            if loop.time() >= deadline:
                raise VibeSurfError(f"VibeSurf reported no progress for {self._idle_timeout_s:g} s.")
            await asyncio.sleep(self._poll_interval_s)

    async def _state(self) -> TaskState:
        raw = await self._request("GET", f"/api/tasks/{self._task_id}")
        status = raw.get("status")
        if not isinstance(status, str):
            raise VibeSurfError("VibeSurf answered a status request without a status.")
        self._status = status
        return TaskState(
            status=status,
            question=_mapping(raw.get("question")),
            form=_mapping(raw.get("form")),
            submission=_mapping(raw.get("submission")),
            error_message=raw.get("error_message") if isinstance(raw.get("error_message"), str) else None,
        )

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S))
        headers = {"Authorization": f"Bearer {self._api_key.get_secret_value()}"}
        try:
            async with self._http.request(method, self._base_url + path, headers=headers, **kwargs) as response:
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
                if response.status >= 400:
                    raise _http_error(response.status, body)
        except aiohttp.ClientError as exc:
            raise VibeSurfError(f"VibeSurf is not reachable at {self._base_url} ({type(exc).__name__}).") from None
        except TimeoutError:
            raise VibeSurfError(f"VibeSurf did not answer within {REQUEST_TIMEOUT_S:g} s.") from None
        if not isinstance(body, dict):
            raise VibeSurfError("VibeSurf answered with something that is not a JSON object.")
        return body


# --------------------------------------------------------------------------- task and result


def task_description(url: str, profile: Profile, files: ApplicantFiles, uploaded: Mapping[str, str]) -> str:
    """The instructions for VibeSurf's agent; e-mail and phone only as placeholders."""
    lines = [
        f"Open {url} and fill in the job application form there for the applicant below.",
        "Do NOT submit it: when the form is filled, stop and report the filled form for review.",
        "Ask the applicant (do not guess) for any answer the facts below do not give.",
        "Decline voluntary self-identification questions unless a saved answer says otherwise.",
        "",
        f"Name: {profile.full_name} (first name: {profile.first_name}; last name: {profile.last_name})",
        f"E-mail: <secret>{SECRET_EMAIL}</secret>",
    ]
    if profile.phone:
        lines.append(f"Phone: <secret>{SECRET_PHONE}</secret>")
    if profile.location:
        lines.append(f"Location: {profile.location}")
    lines += [f"{name.capitalize()}: {value}" for name, value in profile.links.model_dump().items() if value]
    if "resume" in uploaded:
        lines.append(f"Résumé to upload: {uploaded['resume']}")
    if "cover_letter" in uploaded:
        lines.append(f"Cover letter to upload if asked: {uploaded['cover_letter']}")
    if profile.answers:
        lines += ["", "Saved answers (question: answer):"]
        lines += [f"- {question}: {answer}" for question, answer in profile.answers.items()]
    return "\n".join(lines)


def _sensitive_data(profile: Profile) -> dict[str, str]:
    values = {SECRET_EMAIL: str(profile.email)}
    if profile.phone:
        values[SECRET_PHONE] = profile.phone
    return values


def _new_question(state: TaskState, asked: set[str]) -> bool:
    if state.status != "waiting_for_user" or not state.question:
        return False
    return str(state.question.get("id")) not in asked


def _raise_if_ended(state: TaskState, *, allow_submitted: bool = False) -> None:
    if state.status == "failed":
        reason = (state.error_message or "no reason given").strip()[:300]
        raise VibeSurfError(f"VibeSurf could not finish the task: {reason}")
    if state.status == "stopped":
        raise VibeSurfError("The VibeSurf task was stopped before it finished.")
    if state.status == "submitted" and not allow_submitted:
        raise SubmittedWithoutApproval(
            "VibeSurf sent the application before you approved it; check your e-mail and the site."
        )


def _filled_form(
    form: Mapping[str, Any], url: str, profile: Profile, files: ApplicantFiles, answers: Mapping[str, str | None]
) -> FilledForm:
    try:
        screenshot = base64.b64decode(str(form.get("screenshot_base64") or ""), validate=True)
    except (binascii.Error, ValueError):
        screenshot = b""
    if not screenshot.startswith(PNG_SIGNATURE):
        raise VibeSurfError("VibeSurf sent no screenshot of the filled form.")
    fields = []
    for index, field in enumerate(form.get("fields") or []):
        if not isinstance(field, dict) or not str(field.get("label") or "").strip():
            continue
        label = " ".join(str(field["label"]).replace("*", " ").split())
        value = field.get("value")
        fields.append(
            reading(
                label,
                f"vibesurf:field[{index}]",
                str(field.get("kind") or "text"),
                None if value is None else str(value),
                bool(field.get("required")),
                profile,
                files,
                answers,
            )
        )
    return FilledForm(ats=ATS_NAME, url=str(form.get("url") or url), fields=fields, screenshot=screenshot)


def _mapping(value: object) -> Mapping[str, Any] | None:
    return value if isinstance(value, dict) else None


def _http_error(status: int, body: object) -> VibeSurfError:
    detail = body.get("detail") if isinstance(body, dict) else None
    shown = f": {str(detail)[:200]}" if isinstance(detail, str) and detail else ""
    if status == 401:
        return VibeSurfError("VibeSurf refused the API key; check VIBESURF_API_KEY.")
    if status >= 500:
        return VibeSurfError(f"VibeSurf failed (HTTP {status}){shown}.")
    return VibeSurfError(f"VibeSurf refused the request (HTTP {status}){shown}.")
