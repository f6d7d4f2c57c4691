"""Storage against real PostgreSQL: migrations under a lock, guarded transitions, one application per job."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
import pytest_asyncio

from storage.answers import AnswerRepository, AnswerSource
from storage.applications import ApplicationRepository, IllegalTransition
from storage.browser_sessions import BrowserSessionRepository
from storage.db import create_pool
from storage.files import FileRepository, UploadedFile
from storage.migrate import available_migrations, migrate
from storage.models import ApplicationStatus as S
from storage.models import PromptKind, PromptStatus
from storage.prompts import PromptRepository
from storage.users import UserRepository
from tests.support.database import with_database


@pytest_asyncio.fixture
async def pool(database_url):
    pool = await create_pool(database_url)
    yield pool
    await pool.close()


@pytest_asyncio.fixture
async def user(pool):
    return await UserRepository(pool).upsert(1001, 1001, "Ada", "ada")


async def test_two_processes_migrating_at_once_apply_each_migration_once(embedded_services):
    server_url, _ = embedded_services
    name = f"nyx_mig_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = with_database(server_url, name)
        conns = [await asyncpg.connect(url) for _ in range(3)]
        results = await asyncio.gather(*(migrate(c) for c in conns))
        for c in conns:
            await c.close()
        assert sorted(len(r) for r in results) == [0, 0, len(available_migrations())]
        check = await asyncpg.connect(url)
        versions = [r["version"] for r in await check.fetch("SELECT version FROM schema_migrations ORDER BY 1")]
        assert versions == [m.version for m in available_migrations()]
        assert await migrate(check) == []
        await check.close()
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def test_same_canonical_url_is_one_application(pool, user):
    repo = ApplicationRepository(pool)
    first = await repo.intake(
        user.id, url="https://a.example/jobs/1?utm_source=x", canonical_url="https://a.example/jobs/1", host="a.example"
    )
    again = await repo.intake(
        user.id, url="https://A.example/jobs/1", canonical_url="https://a.example/jobs/1", host="a.example"
    )
    assert first.created and not again.created
    assert again.application.id == first.application.id
    assert [e.to_status for e in await repo.events(first.application.id)] == [S.RECEIVED]


async def test_racing_transitions_have_one_winner_and_one_event(pool, user):
    repo = ApplicationRepository(pool)
    app = (
        await repo.intake(user.id, url="https://a.example/j", canonical_url="https://a.example/j", host="a.example")
    ).application
    await repo.transition(app.id, S.AWAITING_APPROVAL, from_statuses=[S.RECEIVED])
    outcomes = await asyncio.gather(
        *(repo.transition(app.id, S.QUEUED, from_statuses=[S.AWAITING_APPROVAL]) for _ in range(8))
    )
    assert sum(o is not None for o in outcomes) == 1
    events = [e.to_status for e in await repo.events(app.id)]
    assert events == [S.RECEIVED, S.AWAITING_APPROVAL, S.QUEUED]


async def test_transition_is_scoped_to_the_owner(pool, user):
    repo = ApplicationRepository(pool)
    app = (
        await repo.intake(user.id, url="https://a.example/k", canonical_url="https://a.example/k", host="a.example")
    ).application
    assert await repo.transition(app.id, S.SKIPPED, from_statuses=[S.RECEIVED], user_id=999) is None
    assert (await repo.get(app.id)).status is S.RECEIVED


async def test_illegal_moves_are_refused_before_sql(pool):
    with pytest.raises(IllegalTransition):
        await ApplicationRepository(pool).transition(1, S.SUBMITTED, from_statuses=[S.AWAITING_APPROVAL])


async def test_submission_can_be_claimed_once(pool, user):
    repo = ApplicationRepository(pool)
    app = (
        await repo.intake(user.id, url="https://a.example/s", canonical_url="https://a.example/s", host="a.example")
    ).application
    for status, sources in (
        (S.AWAITING_APPROVAL, [S.RECEIVED]),
        (S.QUEUED, [S.AWAITING_APPROVAL]),
        (S.RUNNING, [S.QUEUED]),
    ):
        await repo.transition(app.id, status, from_statuses=sources)
    claims = await asyncio.gather(*(repo.claim_submission(app.id) for _ in range(5)))
    assert claims.count(True) == 1


async def _running(repo: ApplicationRepository, user_id: int, url: str) -> int:
    app = (await repo.intake(user_id, url=url, canonical_url=url, host="a.example")).application
    for status, sources in (
        (S.AWAITING_APPROVAL, [S.RECEIVED]),
        (S.QUEUED, [S.AWAITING_APPROVAL]),
        (S.RUNNING, [S.QUEUED]),
    ):
        await repo.transition(app.id, status, from_statuses=sources)
    return app.id


async def test_only_applications_whose_browser_stopped_beating_are_stale(pool, user, db):
    apps, sessions = ApplicationRepository(pool), BrowserSessionRepository(pool)
    beating = await _running(apps, user.id, "https://a.example/beating")
    silent = await _running(apps, user.id, "https://a.example/silent")
    closed = await _running(apps, user.id, "https://a.example/closed")
    await sessions.heartbeat(await sessions.open(beating, "w1"))
    await sessions.open(silent, "w2")
    await sessions.close(await sessions.open(closed, "w3"), "running")
    await db.execute(
        "UPDATE browser_sessions SET heartbeat_at = now() - interval '10 minutes' WHERE application_id = $1", silent
    )
    await db.execute("UPDATE applications SET updated_at = now() - interval '10 minutes'")
    assert sorted(a.id for a in await sessions.stale_running(60)) == [silent, closed]
    assert [r["end_reason"] for r in await db.fetch("SELECT end_reason FROM browser_sessions ORDER BY id")] == [
        None,
        None,
        "running",
    ]


async def test_a_newer_file_replaces_the_older_and_only_its_owner_reads_it(pool, user, db):
    apps, files = ApplicationRepository(pool), FileRepository(pool)
    app = (
        await apps.intake(user.id, url="https://a.example/f", canonical_url="https://a.example/f", host="a.example")
    ).application
    assert await files.screenshot(app.id, user.id) is None and await files.cover_letter(app.id, user.id) is None
    await files.attach_screenshot(app.id, user.id, b"first")
    await files.attach_screenshot(app.id, user.id, b"second")
    await files.attach_cover_letter(app.id, user.id, UploadedFile("letter.pdf", "application/pdf", b"%PDF"))
    assert await files.screenshot(app.id, user.id) == b"second"
    letter = await files.cover_letter(app.id, user.id)
    assert (letter.filename, letter.content_type, letter.content) == ("letter.pdf", "application/pdf", b"%PDF")
    assert await files.screenshot(app.id, 999) is None and await files.cover_letter(app.id, 999) is None
    assert sorted(r["content"] for r in await db.fetch("SELECT content FROM files")) == [b"%PDF", b"second"]


async def test_prompt_answer_is_recorded_once_and_only_by_its_user(pool, user):
    apps, prompts = ApplicationRepository(pool), PromptRepository(pool)
    app = (
        await apps.intake(user.id, url="https://a.example/p", canonical_url="https://a.example/p", host="a.example")
    ).application
    prompt = await prompts.create(
        app.id, user.id, PromptKind.REVIEW, {"x": 1}, datetime.now(UTC) + timedelta(minutes=5)
    )
    assert await prompts.answer(prompt.id, 12345, {"decision": "submit"}) is None
    answers = await asyncio.gather(
        *(prompts.answer(prompt.id, user.id, {"decision": d}) for d in ("submit", "cancel", "submit"))
    )
    winners = [a for a in answers if a is not None]
    assert len(winners) == 1 and winners[0].status is PromptStatus.ANSWERED
    assert await prompts.close(prompt.id, PromptStatus.EXPIRED) is None


async def test_expired_prompt_cannot_be_answered(pool, user):
    apps, prompts = ApplicationRepository(pool), PromptRepository(pool)
    app = (
        await apps.intake(user.id, url="https://a.example/e", canonical_url="https://a.example/e", host="a.example")
    ).application
    prompt = await prompts.create(app.id, user.id, PromptKind.REVIEW, {}, datetime.now(UTC) - timedelta(seconds=1))
    assert await prompts.answer(prompt.id, user.id, {"decision": "submit"}) is None


@pytest.mark.parametrize(
    "question",
    [
        "Enter the characters shown",
        "CAPTCHA",
        "Type the characters you see",
        "Security code",
        "Please enter the text in the image",
    ],
)
async def test_an_answer_to_a_captcha_is_never_saved(pool, user, db, question):
    answers = AnswerRepository(pool)
    assert await answers.save(user.id, question, "xk7p2", AnswerSource.CHAT_QUESTION) is None
    assert await answers.save(user.id, "How did you hear about this job?", "A friend", AnswerSource.USER)
    assert [a.question for a in await answers.list(user.id)] == ["How did you hear about this job?"]
    # One kept from before this rule is never used to fill a form.
    await db.execute(
        "INSERT INTO saved_answers (user_id, question, answer, source) VALUES ($1, $2, 'xk7p2', 'user')",
        user.id,
        question,
    )
    assert await answers.as_mapping(user.id) == {"How did you hear about this job?": "A friend"}
