"""The profile and saved answers in the chat, end to end through the fake Bot API: the guided setup
from /profile to the last question (also across a restart), wrong inputs, editing a field by its
button, profile documents with answers, and /answers (add, change, delete, paging)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import yaml

from bot.app import NyxApp, Roles, Services
from tests.fakes.telegram_api import ChatMessage, FakeTelegram, SimulatedUser
from tests.support import ALLOWED_USER
from tests.support.documents import make_pdf

RESUME_LINES = [
    "Ada Lovelace",
    "London, UK",
    "ada@example.org | +44 20 7946 0000",
    "linkedin.com/in/ada-lovelace | github.com/ada",
    "Experience",
    "2015 - 2019  Analytical Engine, Babbage & Co.",
]
PROFILE = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.org",
    "phone": "+44 20 7946 0000",
    "answers": {"Are you legally authorised to work in the UK?": "Yes"},
}


class Chat:
    """The simulated user's side of the chat: act, then wait for the bot's next message saying something."""

    def __init__(self, fake: FakeTelegram, user: SimulatedUser) -> None:
        self.fake = fake
        self.user = user

    async def after(self, action: Callable[[], Awaitable[object]], contains: str) -> ChatMessage:
        before = {m.message_id for m in self.fake.messages(self.user.chat_id)}
        await action()
        return await self.fake.wait_for_message(
            lambda m: m.chat_id == self.user.chat_id and m.message_id not in before and contains in m.body
        )

    async def say(self, text: str, expect: str) -> ChatMessage:
        return await self.after(lambda: self.user.send(text), expect)

    async def command(self, command: str, expect: str) -> ChatMessage:
        return await self.after(lambda: self.user.send_command(command), expect)

    async def tap(self, message: ChatMessage, button: str, expect: str) -> ChatMessage:
        return await self.after(lambda: self.user.tap(message, button), expect)

    async def document(self, name: str, content: bytes, mime_type: str, expect: str) -> ChatMessage:
        return await self.after(lambda: self.user.send_document(name, content, mime_type), expect)


async def profile_data(db) -> dict:
    return json.loads(await db.fetchval("SELECT data FROM profiles WHERE user_id = $1", ALLOWED_USER))


async def start_setup_and_confirm(chat: Chat, resume: bytes) -> ChatMessage:
    """From /profile to the first question, accepting what the résumé says."""
    await chat.command("/profile", "Send me your résumé")
    contacts = await chat.document("ada-lovelace.pdf", resume, "application/pdf", "Are these your details?")
    return await chat.tap(contacts, "Confirm", "1/11 · Location")


async def test_guided_setup_from_resume_to_last_question(nyx, fake_telegram, db):
    chat = Chat(fake_telegram, fake_telegram.user(ALLOWED_USER))
    resume = make_pdf(RESUME_LINES)

    await chat.command("/profile", "Send me your résumé")
    await chat.after(lambda: chat.user.send_photo_with_caption("my cv"), "I need your résumé as a document")
    exe = await chat.document("cv.exe", b"MZ\x90\x00 a program", "application/x-msdownload", "not a PDF or DOCX")
    assert "cv.exe" in exe.body
    await chat.document("cv.pdf", b"MZ\x90\x00 renamed", "application/pdf", "not a valid PDF")
    assert await db.fetchval("SELECT count(*) FROM profiles") == 0

    contacts = await chat.document("ada-lovelace.pdf", resume, "application/pdf", "Are these your details?")
    for line in (
        "Name: Ada Lovelace",
        "E-mail: ada@example.org",
        "Phone: +44 20 7946 0000",
        "LinkedIn: https://linkedin.com/in/ada-lovelace",
        "GitHub: https://github.com/ada",
        "Website: —",
    ):
        assert line in contacts.body
    asking = await chat.tap(contacts, "✏️ E-mail", "E-mail (now: ada@example.org)")
    await chat.say("ada@", "⚠️ E-mail")
    await chat.tap(asking, "Back", "Are these your details?")
    contacts = await chat.say("ada.dev is my site", "Are these your details?")  # text where buttons are wanted
    assert "I did not expect that here" in fake_telegram.messages(chat.user.chat_id)[-2].body
    await chat.tap(contacts, "✏️ Website", "Website (now: —)")
    contacts = await chat.say("ada.dev", "Website: https://ada.dev")
    assert await db.fetchval("SELECT count(*) FROM profiles") == 0, "nothing is saved before the confirmation"

    location = await chat.tap(contacts, "Confirm", "1/11 · Location")
    stale_skip = location.button("Skip").callback_data
    saved = await profile_data(db)
    assert (saved["first_name"], saved["last_name"], saved["email"]) == ("Ada", "Lovelace", "ada@example.org")
    assert saved["links"]["website"] == "https://ada.dev" and "Analytical Engine" in saved["summary"]
    stored = await db.fetchrow(
        "SELECT f.filename, f.content FROM profiles p JOIN files f ON f.id = p.resume_file_id WHERE p.user_id = $1",
        ALLOWED_USER,
    )
    assert stored["filename"] == "ada-lovelace.pdf" and stored["content"] == resume

    await chat.say("London, UK", "2/11 · Work authorisation")
    sponsorship = await chat.say("UK, EU", "3/11 · Needs visa sponsorship")
    salary = await chat.tap(sponsorship, "No", "4/11 · Salary expectation")
    notice = await chat.tap(salary, "Skip", "5/11 · Notice period")
    other = await chat.user.tap(notice, "Other")
    assert "Type your answer" in other.text
    relocation = await chat.say("6 weeks", "6/11 · Willing to relocate")
    remote = await chat.tap(relocation, "Yes", "7/11 · Remote preference")
    gender = await chat.tap(remote, "Hybrid", "8/11 · Gender")
    assert "equal-opportunity" in gender.body and "Skip" not in {b.text for b in gender.buttons()}
    race = await chat.tap(gender, "Decline to answer", "9/11 · Race/ethnicity")
    race = await chat.say("Purple", "9/11 · Race/ethnicity")
    assert "please tap one of the buttons" in fake_telegram.messages(chat.user.chat_id)[-2].body
    veteran = await chat.tap(race, "Asian", "10/11 · Veteran status")
    disability = await chat.tap(veteran, "I am not a protected veteran", "11/11 · Disability")
    done = await chat.tap(disability, "Decline to answer", "Your profile is ready")
    assert "Location: London, UK" in done.body and "Remote preference: Hybrid" in done.body
    assert any(b.text == "✏️ Notice period" for b in done.buttons())

    saved = await profile_data(db)
    assert saved["location"] == "London, UK"
    assert saved["work_authorization"] == ["UK", "EU"]
    assert saved["needs_sponsorship"] is False and saved["salary_expectation"] is None
    assert saved["notice_period"] == "6 weeks" and saved["willing_to_relocate"] is True
    assert saved["remote_preference"] == "hybrid"
    assert saved["eeo"] == {
        "gender": "decline",
        "race": "Asian",
        "veteran": "I am not a protected veteran",
        "disability": "decline",
    }
    assert await db.fetchval("SELECT source FROM profiles") == "telegram:setup"

    stale = await chat.user.tap_data(location, stale_skip)  # the setup is over: an old button does nothing
    assert "no longer valid" in stale.text
    assert await profile_data(db) == saved


async def test_restart_in_the_middle_of_the_setup_resumes_it(settings, fake_telegram, db):
    chat = Chat(fake_telegram, fake_telegram.user(ALLOWED_USER))
    bot_only = Roles(worker=False, scheduler=False)
    services = await Services.connect(settings)
    app = NyxApp(services, bot_only)
    await app.start()
    try:
        location = await start_setup_and_confirm(chat, make_pdf(RESUME_LINES))
    finally:
        await app.stop()
        await services.close()

    services = await Services.connect(settings)
    app = NyxApp(services, bot_only)
    await app.start()
    try:
        await chat.command("/profile", "1/11 · Location")  # asked again where it stopped
        authorisation = await chat.say("Berlin, Germany", "2/11 · Work authorisation")
        await chat.tap(authorisation, "Skip", "3/11 · Needs visa sponsorship")
        stale = await chat.user.tap_data(location, location.button("Skip").callback_data)
        assert "answered already" in stale.text
        await chat.command("/cancel_setup", "Setup stopped. What you confirmed is saved")
    finally:
        await app.stop()
        await services.close()
    saved = await profile_data(db)
    assert saved["location"] == "Berlin, Germany" and saved["email"] == "ada@example.org"
    assert saved["work_authorization"] == []


async def test_stopping_before_the_confirmation_saves_nothing(nyx, fake_telegram, db):
    chat = Chat(fake_telegram, fake_telegram.user(ALLOWED_USER))
    question = await chat.command("/profile", "Send me your résumé")
    contacts = await chat.tap(question, "Go on without a résumé", "How should employers reach you?")
    answer = await chat.user.tap(contacts, "Confirm")
    assert answer.show_alert and "name and e-mail are required" in answer.text
    await chat.tap(contacts, "Stop", "Setup stopped; nothing was saved")
    assert await db.fetchval("SELECT count(*) FROM profiles") == 0
    assert await db.fetchval("SELECT count(*) FROM files") == 0


async def test_a_resume_sent_without_a_profile_starts_the_setup(nyx, fake_telegram, db):
    chat = Chat(fake_telegram, fake_telegram.user(ALLOWED_USER))
    contacts = await chat.document("ada.pdf", make_pdf(RESUME_LINES), "application/pdf", "Are these your details?")
    assert "Name: Ada Lovelace" in contacts.body
    await chat.tap(contacts, "Stop", "Setup stopped; nothing was saved")


async def test_edit_a_field_by_its_button(nyx, fake_telegram, db):
    chat = Chat(fake_telegram, fake_telegram.user(ALLOWED_USER))
    await chat.document("profile.yaml", yaml.safe_dump(PROFILE).encode(), "application/x-yaml", "Profile saved")
    shown = await chat.command("/profile", "Your profile")
    assert "E-mail: ada@example.org" in shown.body and "Saved answers: 1" in shown.body

    asking = await chat.tap(shown, "✏️ E-mail", "E-mail (now: ada@example.org)")
    refused = await chat.say("ada@@example", "⚠️ E-mail")
    assert "Nothing was changed" in refused.body
    assert (await profile_data(db))["email"] == "ada@example.org"
    shown = await chat.say("ada@lovelace.org", "Saved ✅ E-mail: ada@lovelace.org")
    assert (await profile_data(db))["email"] == "ada@lovelace.org"
    assert await db.fetchval("SELECT source FROM profiles") == "telegram:edit"

    remote = await chat.tap(shown, "✏️ Remote preference", "Remote preference (now: —)")
    hybrid = remote.button("Hybrid").callback_data
    shown = await chat.tap(remote, "Remote", "Saved ✅ Remote preference: Remote")
    assert remote.buttons() == [], "an answered question keeps no buttons"
    phone = await chat.tap(shown, "✏️ Phone", "Phone (now: +44 20 7946 0000)")
    shown = await chat.tap(phone, "Clear", "Saved ✅ Phone: —")
    saved = await profile_data(db)
    assert saved["remote_preference"] == "remote" and saved["phone"] is None

    stale = await chat.user.tap_data(remote, hybrid)  # on a question answered already
    assert "no longer valid" in stale.text
    old_email = await chat.user.tap(asking, "Keep as is")  # the first e-mail question, asked again since
    assert "no longer valid" in old_email.text
    assert await profile_data(db) == saved

    resume = make_pdf(RESUME_LINES)
    await chat.document("ada.pdf", resume, "application/pdf", "Résumé saved")
    assert "Analytical Engine" in (await profile_data(db))["summary"]


async def test_saved_answers_add_change_delete_and_pages(nyx, fake_telegram, db):
    chat = Chat(fake_telegram, fake_telegram.user(ALLOWED_USER))
    empty = await chat.command("/answers", "Saved answers")
    assert "None yet" in empty.body

    asking = await chat.tap(empty, "Add an answer", "Send the question")
    await chat.say("Why do you want to work here?", "And your answer to")
    listed = await chat.say("Engines fascinate me.", "Saved ✅")
    assert "Engines fascinate me." in listed.body and "added by you" in listed.body
    assert asking.buttons() == [], "the answered question keeps no buttons"

    await chat.document("profile.yaml", yaml.safe_dump(PROFILE).encode(), "application/x-yaml", "Profile saved")
    rows = await db.fetch("SELECT question, answer, source FROM saved_answers ORDER BY lower(question)")
    assert [tuple(r) for r in rows] == [
        ("Are you legally authorised to work in the UK?", "Yes", "profile"),
        ("Why do you want to work here?", "Engines fascinate me.", "user"),
    ]
    for n in range(5):
        await db.execute(
            "INSERT INTO saved_answers (user_id, question, answer, source) VALUES ($1, $2, 'ok', 'llm')",
            ALLOWED_USER,
            f"Zeta question {n}?",
        )

    # A button is answered once its message shows the new view, so `page` (kept current) can be read at once.
    page = await chat.command("/answers", "page 1/2")
    assert "from your profile file" in page.body and "Zeta question 3" not in page.body
    await chat.user.tap(page, "Next ›")
    assert "page 2/2" in page.body and "Zeta question 3" in page.body
    await chat.user.tap(page, "‹ Previous")
    assert "page 1/2" in page.body

    await chat.user.tap(page, "1")
    assert "Are you legally authorised to work in the UK?" in page.body
    assert "Source: from your profile file" in page.body
    await chat.tap(page, "Change the answer", "Send the new answer")
    await chat.say("Yes, without sponsorship", "Saved ✅")
    changed = await db.fetchrow("SELECT answer, source FROM saved_answers WHERE question LIKE 'Are you%'")
    assert tuple(changed) == ("Yes, without sponsorship", "user")

    listed = await chat.command("/answers", "page 1/2")
    await chat.user.tap(listed, "2")
    assert "Why do you want to work here?" in listed.body
    await chat.user.tap(listed, "Delete")
    assert "Delete this saved answer?" in listed.body
    yes = listed.button("Yes, delete it").callback_data
    answer = await chat.user.tap(listed, "Yes, delete it")
    assert answer.text == "Deleted." and "Why do you want" not in listed.body
    assert await db.fetchval("SELECT count(*) FROM saved_answers WHERE question LIKE 'Why%'") == 0
    again = await chat.user.tap_data(listed, yes)
    assert "deleted already" in again.text
    assert await db.fetchval("SELECT count(*) FROM saved_answers") == 6

    listed = await chat.command("/answers", "Saved answers")
    asking = await chat.tap(listed, "Add an answer", "Send the question")
    cancelled = await chat.user.tap(asking, "Cancel")
    assert cancelled.text == "Cancelled."
    await chat.say("Is this saved?", "did not find a job link")  # no dialog any more: ordinary chat
    assert await db.fetchval("SELECT count(*) FROM saved_answers") == 6


async def test_a_resume_that_takes_too_long_to_read_gets_a_clear_message(nyx, fake_telegram, db, monkeypatch):
    import automation.resume_text

    # No real file parses in zero seconds: the limit is reached whatever the machine's speed.
    monkeypatch.setattr(automation.resume_text, "PARSE_TIMEOUT_S", 0.0)
    chat = Chat(fake_telegram, fake_telegram.user(ALLOWED_USER))
    await chat.command("/profile", "Send me your résumé")
    refused = await chat.document("ada.pdf", make_pdf(RESUME_LINES), "application/pdf", "took longer than")
    assert "resend it" in refused.body
    assert await db.fetchval("SELECT count(*) FROM profiles") == 0

    monkeypatch.setattr(automation.resume_text, "PARSE_TIMEOUT_S", 20.0)
    contacts = await chat.document("ada.pdf", make_pdf(RESUME_LINES), "application/pdf", "Are these your details?")
    assert "Name: Ada Lovelace" in contacts.body
