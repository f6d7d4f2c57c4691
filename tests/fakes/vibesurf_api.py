"""A stand-in VibeSurf service on 127.0.0.1, speaking the task API `automation.backends.vibesurf` documents.

It checks the bearer key (401), stores uploads per session, runs one task at a time (a second
submit while one runs gets VibeSurf's own `{"success": false}`), and moves a task along each
time its status is read: pending -> running -> waiting_for_user (once per scripted question,
until answered) -> awaiting_review (with the filled form and a screenshot) -> after approval
submitting -> submitted. Tests script what the "agent" does through `Scenario`, and can make
the service fail (`fail_next(status)`), fail the task, or break the rule by submitting unasked.
Everything it was sent is recorded for assertions.
"""

from __future__ import annotations

import base64
import itertools
import secrets
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio
from aiohttp import web

JsonObject = dict[str, Any]
# A 1x1 transparent PNG: what the fake "screenshots" the filled form as.
SCREENSHOT = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@dataclass(frozen=True)
class Question:
    text: str
    options: list[str] | None = None


@dataclass
class Scenario:
    """What the fake agent does with a task."""

    questions: list[Question] = field(default_factory=list)
    # (task, answers by question text) -> the filled form's fields [{"label", "kind", "value", "required"}]
    fields: Callable[[TaskRecord, dict[str, str | None]], list[JsonObject]] = lambda task, answers: []
    fail_with: str | None = None  # the task fails (after running) with this error message
    submits_unasked: bool = False  # breaks the rule: submits instead of waiting for approval
    outcome: JsonObject = field(
        default_factory=lambda: {"outcome": "confirmed", "detail": 'The page says "thank you for applying".'}
    )


@dataclass
class Upload:
    session_id: str
    filename: str
    content: bytes
    file_path: str


@dataclass
class TaskRecord:
    task_id: str
    session_id: str
    description: str
    upload_path: str | None
    sensitive_data: JsonObject
    review_before_submit: bool
    status: str = "pending"
    asked: int = 0  # questions put so far
    answers: dict[str, str | None] = field(default_factory=dict)
    form: JsonObject | None = None
    submission: JsonObject | None = None
    error_message: str | None = None
    approved: bool = False
    stopped_reason: str | None = None


class FakeVibeSurf:
    def __init__(self, *, api_key: str | None = None) -> None:
        self.api_key = api_key or f"vs-{secrets.token_hex(12)}"
        self.scenario = Scenario()
        self.uploads: list[Upload] = []
        self.tasks: dict[str, TaskRecord] = {}
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status answered)
        self.base_url = ""
        self._failures: deque[int] = deque()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    def fail_next(self, status: int = 500, *, times: int = 1) -> None:
        """Answer the next `times` authorised /api requests with this HTTP error."""
        self._failures.extend([status] * times)

    @property
    def task(self) -> TaskRecord:
        """The only task submitted so far."""
        assert len(self.tasks) == 1, f"expected one task, have {len(self.tasks)}"
        return next(iter(self.tasks.values()))

    async def start(self) -> None:
        app = web.Application(middlewares=[self._gatekeeper])
        app.router.add_get("/health", self._health)
        app.router.add_post("/api/files/upload", self._upload)
        app.router.add_post("/api/tasks/submit", self._submit)
        app.router.add_post("/api/tasks/stop", self._stop)
        app.router.add_get("/api/tasks/{task_id}", self._status)
        app.router.add_post("/api/tasks/{task_id}/answer", self._answer)
        app.router.add_post("/api/tasks/{task_id}/approve", self._approve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeVibeSurf:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ----------------------------------------------------------------- plumbing

    @web.middleware
    async def _gatekeeper(self, request: web.Request, handler) -> web.StreamResponse:
        response = await self._guarded(request, handler)
        self.requests.append((request.method, request.path, response.status))
        return response

    async def _guarded(self, request: web.Request, handler) -> web.StreamResponse:
        if request.path.startswith("/api/"):
            given = request.headers.get("Authorization", "")
            if not secrets.compare_digest(given, f"Bearer {self.api_key}"):
                return _error(401, "Invalid or missing API key")
            if self._failures:
                status = self._failures.popleft()
                return _error(status, "Internal Server Error" if status >= 500 else "Refused")
        try:
            return await handler(request)
        except web.HTTPException as exc:
            return _error(exc.status, exc.reason)

    def _task(self, request: web.Request) -> TaskRecord:
        task = self.tasks.get(request.match_info["task_id"])
        if task is None:
            raise web.HTTPNotFound(reason="Task not found")
        return task

    # ----------------------------------------------------------------- endpoints

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "healthy"})

    async def _upload(self, request: web.Request) -> web.Response:
        session_id, stored = None, []
        reader = await request.multipart()
        parts: list[tuple[str, bytes]] = []
        while (part := await reader.next()) is not None:
            if part.name == "session_id":
                session_id = (await part.read()).decode()
            elif part.name == "files" and part.filename:
                parts.append((part.filename, bytes(await part.read())))
        if session_id is None or not parts:
            raise web.HTTPUnprocessableEntity(reason="files and session_id are required")
        for filename, content in parts:
            path = f"/workspace/sessions/{session_id}/upload_files/{filename}"
            self.uploads.append(Upload(session_id, filename, content, path))
            stored.append({"file_id": f"file-{next(self._ids)}", "original_filename": filename, "file_path": path})
        return web.json_response({"message": f"Successfully uploaded {len(stored)} files", "files": stored})

    async def _submit(self, request: web.Request) -> web.Response:
        body = await _json(request)
        if not body.get("session_id") or not body.get("task_description"):
            raise web.HTTPUnprocessableEntity(reason="session_id and task_description are required")
        if any(task.status not in ("submitted", "failed", "stopped") for task in self.tasks.values()):
            return web.json_response(
                {"success": False, "message": "Cannot submit task: another task is currently running"}
            )
        upload_path = body.get("upload_files_path")
        if upload_path and not any(u.file_path == upload_path for u in self.uploads):
            raise web.HTTPUnprocessableEntity(reason="upload_files_path names no uploaded file")
        task = TaskRecord(
            task_id=f"task-{next(self._ids)}",
            session_id=body["session_id"],
            description=body["task_description"],
            upload_path=upload_path,
            sensitive_data=body.get("sensitive_data") or {},
            review_before_submit=bool(body.get("review_before_submit")),
        )
        self.tasks[task.task_id] = task
        return web.json_response({"success": True, "task_id": task.task_id, "status": "submitted"})

    async def _status(self, request: web.Request) -> web.Response:
        task = self._task(request)
        self._advance(task)
        question = None
        if task.status == "waiting_for_user":
            asked = self.scenario.questions[task.asked - 1]
            question = {"id": f"q{task.asked}", "text": asked.text, "options": asked.options}
        return web.json_response(
            {
                "task_id": task.task_id,
                "status": task.status,
                "error_message": task.error_message,
                "question": question,
                "form": task.form,
                "submission": task.submission,
            }
        )

    async def _answer(self, request: web.Request) -> web.Response:
        task = self._task(request)
        body = await _json(request)
        if task.status != "waiting_for_user" or body.get("question_id") != f"q{task.asked}":
            raise web.HTTPConflict(reason="No such open question")
        answer = body.get("answer")
        task.answers[self.scenario.questions[task.asked - 1].text] = answer if isinstance(answer, str) else None
        task.status = "running"
        return web.json_response({"success": True})

    async def _approve(self, request: web.Request) -> web.Response:
        task = self._task(request)
        if task.status != "awaiting_review":
            raise web.HTTPConflict(reason=f"Task is {task.status}, not awaiting review")
        task.approved = True
        task.status = "submitting"
        return web.json_response({"success": True, "status": task.status})

    async def _stop(self, request: web.Request) -> web.Response:
        body = await _json(request)
        task = self.tasks.get(str(body.get("task_id")))
        if task is None or task.status in ("submitted", "failed", "stopped"):
            raise web.HTTPBadRequest(reason="No active task to stop")
        task.status = "stopped"
        task.stopped_reason = body.get("reason")
        return web.json_response({"success": True, "message": "Task stopped", "operation": "stop"})

    # ----------------------------------------------------------------- the fake agent

    def _advance(self, task: TaskRecord) -> None:
        """One step of the fake agent's work, taken each time the status is read."""
        scenario = self.scenario
        if task.status == "pending":
            task.status = "running"
        elif task.status == "running":
            if scenario.fail_with is not None:
                task.status, task.error_message = "failed", scenario.fail_with
            elif task.asked < len(scenario.questions):
                task.asked += 1
                task.status = "waiting_for_user"
            else:
                task.form = {
                    "url": "https://careers.example.com/jobs/42/apply",
                    "fields": scenario.fields(task, dict(task.answers)),
                    "screenshot_base64": base64.b64encode(SCREENSHOT).decode(),
                }
                task.status = "submitted" if scenario.submits_unasked else "awaiting_review"
                if scenario.submits_unasked:
                    task.submission = {**scenario.outcome, "url": task.form["url"]}
        elif task.status == "submitting":
            task.status = "submitted"
            task.submission = {**scenario.outcome, "url": (task.form or {}).get("url", "")}


async def _json(request: web.Request) -> JsonObject:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPUnprocessableEntity(reason="Body is not JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPUnprocessableEntity(reason="Body is not a JSON object")
    return body


def _error(status: int, detail: str) -> web.Response:
    return web.json_response({"detail": detail}, status=status)


@pytest_asyncio.fixture
async def fake_vibesurf() -> AsyncIterator[FakeVibeSurf]:
    """A running stand-in VibeSurf service on a free local port, fresh for each test."""
    async with FakeVibeSurf() as fake:
        yield fake


__all__ = ["SCREENSHOT", "FakeVibeSurf", "Question", "Scenario", "TaskRecord", "Upload", "fake_vibesurf"]
