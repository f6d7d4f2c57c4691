"""The VibeSurf backend against a local stand-in service speaking the task API it documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from pydantic import SecretStr

from automation.adapters.base import ApplicantFiles, SubmitOutcome
from automation.backends import BackendError, SubmittedWithoutApproval, make_backend
from automation.backends.vibesurf import VibeSurfBackend, VibeSurfError
from storage.models import Profile
from tests.fakes.vibesurf_api import SCREENSHOT, FakeVibeSurf, Question, Scenario, TaskRecord

EMAIL = "ada.lovelace@example.org"
PHONE = "+44 20 7946 0958"
SALARY = "What are your salary expectations?"
RELOCATE = "Would you relocate to Porto?"


class RecordingAsker:
    def __init__(self, answers: dict[str, str | None]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, list[str] | None]] = []

    async def ask(self, question: str, options: list[str] | None = None) -> str | None:
        self.asked.append((question, options))
        return self.answers.get(question)


@pytest_asyncio.fixture
async def vibesurf() -> AsyncIterator[FakeVibeSurf]:
    async with FakeVibeSurf() as fake:
        yield fake


@pytest.fixture
def profile() -> Profile:
    return Profile(first_name="Ada", last_name="Lovelace", email=EMAIL, phone=PHONE, location="London")


@pytest.fixture
def resume(tmp_path: Path) -> Path:
    path = tmp_path / "Ada Lovelace Résumé.pdf"
    path.write_bytes(b"%PDF-1.4\n% Notes on the Analytical Engine\n%%EOF\n")
    return path


def filled_fields(task: TaskRecord, answers: dict[str, str | None]) -> list[dict]:
    """What the fake agent put on the form: the secrets it was given, the upload, the answers."""
    return [
        {"label": "Your name *", "kind": "text", "value": "Ada Lovelace", "required": True},
        {"label": "E-mail", "kind": "text", "value": task.sensitive_data["applicant_email"], "required": True},
        {"label": "Phone", "kind": "text", "value": task.sensitive_data["applicant_phone"]},
        {"label": "Résumé / CV", "kind": "file", "value": task.upload_path.rsplit("/", 1)[-1], "required": True},
        {"label": SALARY, "kind": "textarea", "value": answers.get(SALARY) or "", "required": True},
        {"label": RELOCATE, "kind": "radio", "value": answers.get(RELOCATE) or ""},
    ]


def backend_for(fake: FakeVibeSurf, key: str | None = None) -> VibeSurfBackend:
    return VibeSurfBackend(fake.base_url, SecretStr(key or fake.api_key), poll_interval_s=0.01)


async def test_fills_through_vibesurf_asks_the_user_and_submits_only_when_approved(
    vibesurf: FakeVibeSurf, profile: Profile, resume: Path
) -> None:
    vibesurf.scenario = Scenario(questions=[Question(SALARY), Question(RELOCATE, ["Yes", "No"])], fields=filled_fields)
    asker = RecordingAsker({SALARY: "EUR 80k", RELOCATE: "Yes"})
    async with backend_for(vibesurf) as backend:
        form = await backend.fill("https://careers.example.com/jobs/42/apply", profile, ApplicantFiles(resume), asker)

        task = vibesurf.task
        assert asker.asked == [(SALARY, None), (RELOCATE, ["Yes", "No"])]
        assert task.answers == {SALARY: "EUR 80k", RELOCATE: "Yes"}
        assert [(u.filename, u.content) for u in vibesurf.uploads] == [(resume.name, resume.read_bytes())]
        assert task.upload_path == vibesurf.uploads[0].file_path
        assert task.review_before_submit
        assert task.sensitive_data == {"applicant_email": EMAIL, "applicant_phone": PHONE}
        assert EMAIL not in task.description and PHONE not in task.description
        assert "https://careers.example.com/jobs/42/apply" in task.description
        assert task.status == "awaiting_review" and not task.approved

        assert form.ats == "agent:vibesurf"
        assert form.screenshot == SCREENSHOT
        assert {f.label: f.actual for f in form.fields} == {
            "Your name": "Ada Lovelace",
            "E-mail": EMAIL,
            "Phone": PHONE,
            "Résumé / CV": resume.name,
            SALARY: "EUR 80k",
            RELOCATE: "Yes",
        }
        assert form.problems == []
        assert form.find(SALARY).intended == "EUR 80k" and form.find(SALARY).is_question
        assert form.find("Résumé / CV").is_file and form.find("Résumé / CV").intended == resume.name

        result = await backend.submit()

        assert result.outcome is SubmitOutcome.CONFIRMED
        assert result.url == "https://careers.example.com/jobs/42/apply"
        assert task.approved and task.status == "submitted"
        with pytest.raises(BackendError, match="already submitted"):
            await backend.submit()
    # A finished task is not stopped on close.
    assert ("POST", "/api/tasks/stop", 200) not in vibesurf.requests


async def test_an_unanswered_question_is_sent_as_no_answer_and_shows_in_the_review(
    vibesurf: FakeVibeSurf, profile: Profile, resume: Path
) -> None:
    vibesurf.scenario = Scenario(questions=[Question(SALARY)], fields=filled_fields)
    async with backend_for(vibesurf) as backend:
        form = await backend.fill("https://careers.example.com/a", profile, ApplicantFiles(resume), RecordingAsker({}))

    assert vibesurf.task.answers == {SALARY: None}
    assert [f.label for f in form.problems] == [SALARY]
    # Closing before submitting stops the task on the service.
    assert vibesurf.task.status == "stopped" and vibesurf.task.stopped_reason == "closed by Nyx"


async def test_a_wrong_api_key_is_refused_with_a_clear_message(
    vibesurf: FakeVibeSurf, profile: Profile, resume: Path
) -> None:
    wrong = "vs-wrong-key-123456"
    async with backend_for(vibesurf, key=wrong) as backend:
        with pytest.raises(VibeSurfError, match="VIBESURF_API_KEY") as raised:
            await backend.fill("https://careers.example.com/a", profile, ApplicantFiles(resume), RecordingAsker({}))

    assert wrong not in str(raised.value)
    assert vibesurf.requests == [("POST", "/api/files/upload", 401)]
    assert vibesurf.uploads == [] and vibesurf.tasks == {}


async def test_a_server_error_is_reported_not_retried(vibesurf: FakeVibeSurf, profile: Profile, resume: Path) -> None:
    vibesurf.fail_next(503)
    async with backend_for(vibesurf) as backend:
        with pytest.raises(VibeSurfError, match="HTTP 503"):
            await backend.fill("https://careers.example.com/a", profile, ApplicantFiles(resume), RecordingAsker({}))
    assert vibesurf.tasks == {}


async def test_a_failed_task_says_why(vibesurf: FakeVibeSurf, profile: Profile, resume: Path) -> None:
    vibesurf.scenario = Scenario(fail_with="The page asks to sign in with a company account.")
    async with backend_for(vibesurf) as backend:
        with pytest.raises(VibeSurfError, match="sign in with a company account"):
            await backend.fill("https://careers.example.com/a", profile, ApplicantFiles(resume), RecordingAsker({}))
        with pytest.raises(BackendError, match="no filled form"):
            await backend.submit()
    assert vibesurf.task.status == "failed"


async def test_a_busy_service_is_reported(vibesurf: FakeVibeSurf, profile: Profile, resume: Path) -> None:
    vibesurf.scenario = Scenario(fields=filled_fields)
    async with backend_for(vibesurf) as first:
        await first.fill("https://careers.example.com/a", profile, ApplicantFiles(resume), RecordingAsker({}))
        async with backend_for(vibesurf) as second:
            with pytest.raises(VibeSurfError, match="another task is currently running"):
                await second.fill("https://careers.example.com/b", profile, ApplicantFiles(resume), RecordingAsker({}))


async def test_a_refused_submission_is_reported_as_validation_errors(
    vibesurf: FakeVibeSurf, profile: Profile, resume: Path
) -> None:
    vibesurf.scenario = Scenario(
        fields=filled_fields, outcome={"outcome": "validation_errors", "detail": "Phone number is invalid"}
    )
    async with backend_for(vibesurf) as backend:
        await backend.fill("https://careers.example.com/a", profile, ApplicantFiles(resume), RecordingAsker({}))
        result = await backend.submit()
    assert (result.outcome, result.detail) == (SubmitOutcome.VALIDATION_ERRORS, "Phone number is invalid")


async def test_a_service_that_submits_unasked_is_caught(vibesurf: FakeVibeSurf, profile: Profile, resume: Path) -> None:
    vibesurf.scenario = Scenario(fields=filled_fields, submits_unasked=True)
    async with backend_for(vibesurf) as backend:
        with pytest.raises(SubmittedWithoutApproval):
            await backend.fill("https://careers.example.com/a", profile, ApplicantFiles(resume), RecordingAsker({}))


async def test_an_unreachable_service_is_reported(profile: Profile, resume: Path) -> None:
    backend = make_backend("vibesurf", vibesurf_url="http://127.0.0.1:9", vibesurf_api_key=SecretStr("k"))
    try:
        with pytest.raises(VibeSurfError, match="not reachable"):
            await backend.fill("https://careers.example.com/a", profile, ApplicantFiles(resume), RecordingAsker({}))
    finally:
        await backend.close()
