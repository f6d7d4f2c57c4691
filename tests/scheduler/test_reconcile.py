"""Reconciliation after a worker died: what it left before any submit click is filled again from the
start; what it left after claiming the submit is marked, never sent twice; a live worker keeps its own."""

from __future__ import annotations

import pytest_asyncio

from bot.app import Services
from scheduler.jobs import reconcile, redraw_cards
from storage.models import ApplicationStatus as S
from tests.support import ALLOWED_USER

WAIT = 30


@pytest_asyncio.fixture
async def services(settings):
    services = await Services.connect(settings)
    try:
        yield services
    finally:
        await services.close()


async def _running(services: Services, db, n: int, *, beat_minutes_ago: float, claimed: bool = False) -> int:
    """An application a worker took, `beat_minutes_ago` minutes since its last heartbeat; `claimed`: it
    had begun submitting."""
    url = f"http://127.0.0.1:9/jobs/{n}"
    intake = await services.applications.intake(ALLOWED_USER, url=url, canonical_url=url, host="127.0.0.1")
    app_id = intake.application.id
    for to, source in ((S.AWAITING_APPROVAL, S.RECEIVED), (S.QUEUED, S.AWAITING_APPROVAL), (S.RUNNING, S.QUEUED)):
        assert await services.applications.transition(app_id, to, from_statuses=[source])
    await services.browser_sessions.open(app_id, "worker-that-died")
    if claimed:
        assert await services.applications.claim_submission(app_id)
    await db.execute(
        """UPDATE browser_sessions SET heartbeat_at = now() - make_interval(mins => $2::int)
           WHERE application_id = $1""",
        app_id,
        int(beat_minutes_ago),
    )
    await db.execute("UPDATE applications SET updated_at = now() - interval '10 minutes' WHERE id = $1", app_id)
    return app_id


async def test_a_dead_workers_applications_are_queued_again_or_marked(services, db, fake_telegram):
    user = fake_telegram.user(ALLOWED_USER)
    await services.users.upsert(ALLOWED_USER, ALLOWED_USER, "Ada", None)
    filling = await _running(services, db, 1, beat_minutes_ago=10)
    submitting = await _running(services, db, 2, beat_minutes_ago=10, claimed=True)
    alive = await _running(services, db, 3, beat_minutes_ago=0)

    await reconcile(services.scheduler_deps())

    status = {row["id"]: row["status"] for row in await db.fetch("SELECT id, status FROM applications")}
    assert status == {filling: "queued", submitting: "failed", alive: "running"}
    queued_jobs = [job.decode() for job in await services.redis.zrange(services.settings.queue_name, 0, -1)]
    assert any(job.startswith(f"apply:{filling}:") and job.endswith(":2") for job in queued_jobs), queued_jobs
    assert not any(job.startswith(f"apply:{submitting}:") for job in queued_jobs)
    await fake_telegram.wait_for_message(
        lambda m: m.chat_id == user.chat_id and f"#{filling} · ⏳" in m.body, timeout=WAIT
    )
    await fake_telegram.wait_for_message(
        lambda m: m.chat_id == user.chat_id and f"#{submitting} · ⚠️" in m.body, timeout=WAIT
    )


async def test_a_card_left_behind_by_a_dead_process_is_drawn_again_with_the_true_status(services, db, fake_telegram):
    user = fake_telegram.user(ALLOWED_USER)
    await services.users.upsert(ALLOWED_USER, ALLOWED_USER, "Ada", None)
    left_behind = await _running(services, db, 4, beat_minutes_ago=0)
    await services.notifier.application_changed(await services.applications.get(left_behind))
    card = await fake_telegram.wait_for_message(
        lambda m: m.chat_id == user.chat_id and f"#{left_behind} · " in m.body, timeout=WAIT
    )
    # The worker submits, then dies before the card's edit: the database and the chat disagree.
    assert await services.applications.claim_submission(left_behind)
    assert await services.applications.transition(left_behind, S.SUBMITTED, from_statuses=[S.RUNNING])
    just_changed = await _running(services, db, 5, beat_minutes_ago=0)
    await db.execute("UPDATE applications SET updated_at = now() - interval '1 minute' WHERE id = $1", left_behind)
    await db.execute("UPDATE applications SET updated_at = now() WHERE id = $1", just_changed)
    assert f"#{left_behind} · ✅" not in card.body

    redrawn = await redraw_cards(services.scheduler_deps())

    assert redrawn == 1, "a card whose edit may still be on its way is left to it"
    await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and f"#{left_behind} · ✅ submitted" in m.body, timeout=WAIT
    )
    assert await db.fetchval("SELECT card_status FROM applications WHERE id = $1", left_behind) == "submitted"
    assert await redraw_cards(services.scheduler_deps()) == 0, "drawn once, then left alone"
