"""The chat commands through the fake Bot API: /jobs paging and filters, /job, /cancel, /retry,
/pause and /resume, /stats, /export, and the answers to things the bot does not understand."""

from __future__ import annotations

import csv
import io

import pytest

from tests.support import ALLOWED_USER
from tests.support.chat import reply_to, send_links

OTHER = 4343


async def test_jobs_pages_and_filters(nyx, fake_telegram, db):
    user = fake_telegram.user(ALLOWED_USER)
    for start in (1, 11, 21):
        await send_links(fake_telegram, user, list(range(start, min(start + 10, 24))))
    assert await db.fetchval("SELECT count(*) FROM applications") == 23

    page = await reply_to(fake_telegram, user, "/jobs", "Your applications")
    assert "· All · 23 · page 1/3" in page.body and "#23 " in page.body and "#13 " not in page.body

    async def tap_and_see(button: str, contains: str):
        await user.tap(page, button)
        return await fake_telegram.wait_for_message(  # the same message, edited in place
            lambda m: m.message_id == page.message_id and contains in m.body
        )

    assert "#13 " in (await tap_and_see("Older ›", "page 2/3")).body
    await tap_and_see("Failed", "No applications under “Failed”")
    await tap_and_see("Active", "· Active · 23 ·")

    details = await reply_to(fake_telegram, user, "/job 5", "Timeline")
    assert "http://127.0.0.1:9/jobs/5" in details.body and "waiting for your decision" in details.body
    assert (await reply_to(fake_telegram, user, "/job 999", "no application #999")).body
    assert (await reply_to(fake_telegram, user, "/job abc", "Which one?")).body


async def test_cancel_retry_pause_resume(nyx, fake_telegram, db):
    user = fake_telegram.user(ALLOWED_USER)
    await send_links(fake_telegram, user, [1, 2])
    cancelled = await reply_to(fake_telegram, user, "/cancel 1", "cancelled")
    assert "Nothing was submitted" in cancelled.body and [b.text for b in cancelled.buttons()] == ["Retry", "Details"]
    assert "nothing to cancel" in (await reply_to(fake_telegram, user, "/cancel 1", "#1")).body
    assert "only failed" in (await reply_to(fake_telegram, user, "/retry 2", "#2")).body
    assert "profile" in (await reply_to(fake_telegram, user, "/retry 1", "#1")).body  # no profile yet

    assert "Paused" in (await reply_to(fake_telegram, user, "/pause", "aused")).body
    assert "Already paused" in (await reply_to(fake_telegram, user, "/pause", "aused")).body
    card = next(m for m in fake_telegram.messages(user.chat_id) if "/jobs/2" in m.body and m.buttons())
    answer = await user.tap(card, "Apply")
    assert "paused" in answer.text and answer.show_alert
    assert await db.fetchval("SELECT status FROM applications WHERE id = 2") == "awaiting_approval"
    assert "Resumed" in (await reply_to(fake_telegram, user, "/resume", "esumed")).body
    trail = [
        r[0] for r in await db.fetch("SELECT to_status FROM application_events WHERE application_id = 1 ORDER BY id")
    ]
    assert trail == ["received", "awaiting_approval", "cancelled"]


async def test_stats_and_export(nyx, fake_telegram, db):
    user = fake_telegram.user(ALLOWED_USER)
    assert "Nothing to export" in (await reply_to(fake_telegram, user, "/export", "export")).body
    await send_links(fake_telegram, user, [1, 2, 3])
    card = next(m for m in fake_telegram.messages(user.chat_id) if "/jobs/3" in m.body and m.buttons())
    await user.tap(card, "Skip")

    stats = await reply_to(fake_telegram, user, "/stats", "Your numbers")
    assert "(3 job(s))" in stats.body and "skipped: 1" in stats.body and "waiting for your decision: 2" in stats.body

    before = {m.message_id for m in fake_telegram.messages(user.chat_id)}
    await user.send_command("/export")
    export = await fake_telegram.wait_for_message(lambda m: m.message_id not in before and m.document)
    assert export.document_name.endswith(".csv") and "3 application(s)" in export.body
    rows = list(csv.DictReader(io.StringIO(export.document.decode())))
    assert [r["id"] for r in rows] == ["3", "2", "1"]
    assert rows[0]["status"] == "skipped" and rows[2]["url"] == "http://127.0.0.1:9/jobs/1"


async def test_export_escapes_cells_a_spreadsheet_would_run_as_formulas(nyx, fake_telegram, db):
    user = fake_telegram.user(ALLOWED_USER)
    await send_links(fake_telegram, user, [1, 2, 3])
    # Titles and companies are scraped from job pages: a hostile page chooses them.
    hostile = {
        1: ('=HYPERLINK("http://evil.example","Click")', "+1-2"),
        2: ("@SUM(A1:A9)", "\tTab Co"),
        3: ("-cmd|' /C calc'!A0", "\rCR Inc"),
    }
    for app_id, (title, company) in hostile.items():
        await db.execute(
            "UPDATE jobs SET title = $2, company = $3 WHERE id = (SELECT job_id FROM applications WHERE id = $1)",
            app_id,
            title,
            company,
        )

    before = {m.message_id for m in fake_telegram.messages(user.chat_id)}
    await user.send_command("/export")
    export = await fake_telegram.wait_for_message(lambda m: m.message_id not in before and m.document)
    rows = {int(r["id"]): r for r in csv.DictReader(io.StringIO(export.document.decode(), newline=""))}
    for app_id, (title, company) in hostile.items():
        assert rows[app_id]["title"] == "'" + title
        assert rows[app_id]["company"] == "'" + company
    assert rows[1]["url"] == "http://127.0.0.1:9/jobs/1"  # ordinary cells are left as they are


async def test_things_the_bot_does_not_understand_get_a_hint(nyx, fake_telegram, db):
    user = fake_telegram.user(ALLOWED_USER)
    assert "do not know that command" in (await reply_to(fake_telegram, user, "/frobnicate", "command")).body
    before = {m.message_id for m in fake_telegram.messages(user.chat_id)}
    await user.send("just some words without any link " * 300)
    hint = await fake_telegram.wait_for_message(lambda m: m.message_id not in before)
    assert "did not find a job link" in hint.body
    before = {m.message_id for m in fake_telegram.messages(user.chat_id)}
    await user.send("look https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    not_a_job = await fake_telegram.wait_for_message(lambda m: m.message_id not in before)
    assert not_a_job.body.startswith("🤔") and not not_a_job.buttons()
    assert await db.fetchval("SELECT count(*) FROM applications") == 0


class TestTwoUsers:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"allowed_user_ids": f"{ALLOWED_USER},{OTHER}"}

    async def test_someone_elses_button_or_number_changes_nothing(self, nyx, fake_telegram, db):
        owner, other = fake_telegram.user(ALLOWED_USER), fake_telegram.user(OTHER, first_name="Bob")
        await send_links(fake_telegram, owner, [1])
        # Telegram only lets Bob press buttons on messages in his own chat: he forges the data there.
        own = await reply_to(fake_telegram, other, "/help", "Commands")
        for action in ("job:skip:1", "job:apply:1", "jd:1", "rev:submit:1"):
            answer = await other.tap_data(own, action)
            assert "not" in answer.text.lower() or "no longer" in answer.text.lower(), (action, answer.text)
        for forged in ("rev:bogus:1", "cl:bogus:1"):  # a decision no button carries
            assert (await other.tap_data(own, forged)).text == "That button is not valid."
        assert "no application #1" in (await reply_to(fake_telegram, other, "/job 1", "#1")).body
        assert "no application #1" in (await reply_to(fake_telegram, other, "/cancel 1", "#1")).body
        assert await db.fetchval("SELECT status FROM applications WHERE id = 1") == "awaiting_approval"
        assert await db.fetchval("SELECT count(*) FROM application_events WHERE application_id = 1") == 2
