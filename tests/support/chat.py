"""The chat as the end-to-end tests drive it through the fake Bot API: the applicant's profile and résumé,
loading them, finding a job's card, applying, waiting for the review, a question or a CAPTCHA prompt, and
the commands' replies. Shared by tests/e2e/ and the tests elsewhere that go through the chat."""

from __future__ import annotations

from typing import Any

import yaml

from tests.fakes.job_site import MOTIVATION, SPONSORSHIP

RESUME = b"%PDF-1.4\n% Ada Lovelace resume\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PROFILE: dict[str, Any] = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.org",
    "phone": "+44 20 7946 0000",
    "location": "London, UK",
    "links": {"linkedin": "https://www.linkedin.com/in/ada-lovelace"},
    # The form's required questions, answered in advance: nothing is asked before the review.
    "answers": {SPONSORSHIP: "No", MOTIVATION: "Rockets that launch on schedule."},
}
WAIT = 90  # a cold headed Chromium on a 2-core machine
BARE_PROFILE = {key: value for key, value in PROFILE.items() if key != "answers"}
CLASSIC_PROFILE = {
    **PROFILE,
    "answers": {**PROFILE["answers"], "Are you legally authorized to work in Germany?": "Yes"},
}
DONE = "Done — I solved it"


async def load_profile(fake, user) -> None:
    await user.send_document("profile.yaml", yaml.safe_dump(PROFILE).encode(), "application/x-yaml")
    await fake.wait_for_message(lambda m: m.chat_id == user.chat_id and "Profile saved" in m.body)
    await user.send_document("ada-lovelace.pdf", RESUME, "application/pdf")
    await fake.wait_for_message(lambda m: m.chat_id == user.chat_id and "Résumé saved" in m.body)


async def card_for(fake, user, link_fragment: str):
    return await fake.wait_for_message(
        lambda m: m.chat_id == user.chat_id and link_fragment in m.body and any(b.text == "Apply" for b in m.buttons())
    )


async def open_review(fake, user, job_site):
    await load_profile(fake, user)
    await user.forward_from_channel(
        f"🚀 Acme is hiring a Backend Engineer!\nApply here: {job_site.posting_url}?utm_source=telegram&gh_src=abc"
    )
    card = await card_for(fake, user, job_site.posting_url)
    answer = await user.tap(card, "Apply")
    assert "Queued" in answer.text
    review = await fake.wait_for_message(
        lambda m: m.chat_id == user.chat_id and "Review before submitting" in m.body, timeout=WAIT
    )
    return card, review


async def load(fake, user, profile) -> None:
    await user.send_document("profile.yaml", yaml.safe_dump(profile).encode(), "application/x-yaml")
    await fake.wait_for_message(lambda m: m.chat_id == user.chat_id and "Profile saved" in m.body)
    await user.send_document("ada-lovelace.pdf", RESUME, "application/pdf")
    await fake.wait_for_message(lambda m: m.chat_id == user.chat_id and "Résumé saved" in m.body)


async def apply_to(fake, user, link: str):
    """Send the link and tap Apply on its card; returns the card."""
    await user.send(link)
    card = await card_for(fake, user, link)
    await user.tap(card, "Apply")
    return card


def is_review(message) -> bool:
    return "Review before submitting" in message.body and bool(message.buttons())


async def next_review(fake, user, after: set[int]):
    return await fake.wait_for_message(
        lambda m: m.chat_id == user.chat_id and m.message_id not in after and is_review(m), timeout=WAIT
    )


def asks(message, label: str) -> bool:
    return "A question from the form" in message.body and label in message.body


def forces_reply(message) -> bool:
    return bool((message.reply_markup or {}).get("force_reply"))


async def saved_answers(db) -> dict[str, tuple[str, str, int | None]]:
    rows = await db.fetch("SELECT question, answer, source, application_id FROM saved_answers")
    return {r["question"]: (r["answer"], r["source"], r["application_id"]) for r in rows}


async def captcha_prompt(fake, user, after: set[int]):
    return await fake.wait_for_message(
        lambda m: m.chat_id == user.chat_id and m.message_id not in after and "🧩" in m.body, timeout=WAIT
    )


async def send_links(fake, user, numbers) -> None:
    links = " ".join(f"http://127.0.0.1:9/jobs/{n}" for n in numbers)
    await user.send(f"Jobs: {links}")
    last = f"/jobs/{numbers[-1]}"
    await fake.wait_for_message(lambda m: m.chat_id == user.chat_id and last in m.body and m.buttons())


async def reply_to(fake, user, text: str, contains: str):
    """Send a command (or plain text) and return the bot's next message containing `contains`."""
    before = {m.message_id for m in fake.messages(user.chat_id)}
    await (user.send_command(text) if text.startswith("/") else user.send(text))
    return await fake.wait_for_message(
        lambda m: m.chat_id == user.chat_id and m.message_id not in before and contains in m.body
    )
