"""How applications look in the chat: card buttons per status, review messages within Telegram's limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from automation.adapters.base import FieldReading, FilledForm
from handlers.cards import MAX_MESSAGE, REOPEN_BUTTON, card_keyboard, card_text, review_text
from handlers.digest import _prompt_markup
from storage.models import Application, ApplicationStatus, Prompt, PromptKind, PromptStatus


def _app(status: ApplicationStatus, **extra) -> Application:
    now = datetime.now(UTC)
    return Application(
        id=7,
        user_id=1,
        job_id=1,
        url="https://jobs.example/acme/1?x=<b>",
        canonical_url="https://jobs.example/acme/1",
        status=status,
        created_at=now,
        updated_at=now,
        **extra,
    )


def _buttons(app: Application) -> list[str]:
    return [b.text for row in card_keyboard(app).inline_keyboard for b in row if b.text != "Details"]


def test_each_status_offers_only_what_is_valid():
    assert _buttons(_app(ApplicationStatus.AWAITING_APPROVAL)) == ["Apply", "Skip"]
    assert _buttons(_app(ApplicationStatus.SKIPPED)) == ["Apply anyway"]
    assert _buttons(_app(ApplicationStatus.TIMED_OUT)) == ["Retry"]
    assert _buttons(_app(ApplicationStatus.RUNNING)) == []
    assert _buttons(_app(ApplicationStatus.SUBMITTED)) == []
    assert _buttons(_app(ApplicationStatus.FAILED, submit_started_at=datetime.now(UTC))) == []


def test_card_escapes_what_came_from_outside():
    text = card_text(_app(ApplicationStatus.FAILED, title="<script>", error="a < b"))
    assert "&lt;script&gt;" in text and "a &lt; b" in text and "<script>" not in text


def test_a_long_form_is_cut_to_one_message_with_problems_first():
    fields = [FieldReading(f"Question number {i}", f"#q{i}", "x" * 100, "x" * 100) for i in range(200)]
    fields.append(FieldReading("Email", "#email", "ada@example.org", "ada@example.com", required=True))
    form = FilledForm(ats="greenhouse", url="https://jobs.example", fields=fields, screenshot=b"")
    text = review_text(_app(ApplicationStatus.WAITING_USER), form)
    assert len(text) <= MAX_MESSAGE
    assert text.index("Email") < text.index("Question number 0")
    assert "more field(s), shown in the screenshot" in text
    assert text.endswith("Nothing is sent until you tap Submit.")


def test_the_match_line_says_what_the_effort_means():
    def match_line(effort: str, source: str) -> str:
        app = _app(ApplicationStatus.AWAITING_APPROVAL, score=90, score_reasons={"effort": effort, "source": source})
        return next(line for line in card_text(app).splitlines() if line.startswith("Match:"))

    assert match_line("tailored", "llm").endswith("a strong fit: I will write a cover letter for you to approve")
    assert match_line("tailored", "keywords").endswith("— a strong fit"), "no model, no letter promised"
    assert match_line("skip", "keywords").endswith("I suggest skipping this one")
    assert match_line("quick", "llm") == "Match: <b>90/100</b>"


def test_review_never_marks_an_empty_field_done_and_says_why_it_is_empty() -> None:
    from automation.adapters.base import EmptyReason, FillSource

    form = FilledForm(
        "universal",
        "https://jobs.example/apply",
        [
            FieldReading("E-mail", "#email", "ada@example.org", "ada@example.org", True, source=FillSource.UNIVERSAL),
            FieldReading("Disability Status", "#disability", None, "", False, reason=EmptyReason.DECLINED),
            FieldReading("Why us?", "#why", None, "", True, is_question=True, reason=EmptyReason.ASKED),
            FieldReading("Newsletter", "#news", None, "", False, reason=EmptyReason.LEFT_ALONE),
            FieldReading("Portfolio", "#portfolio", None, "", False),
        ],
        b"",
    )
    text = review_text(_app(ApplicationStatus.WAITING_USER), form)
    lines = {line.split(":", 1)[0][2:].strip(): line for line in text.splitlines() if ":" in line}
    assert lines["E-mail"].startswith("✅")
    assert "✅" not in lines["Disability Status"] and "empty (declined)" in lines["Disability Status"]
    assert lines["Why us?"].startswith("⚠️") and "empty (asked)" in lines["Why us?"]
    assert "empty (left alone)" in lines["Newsletter"] and "✅" not in lines["Newsletter"]
    assert "empty (optional)" in lines["Portfolio"]
    assert "4 field(s) left empty" in text


def test_a_review_sent_again_from_the_digest_offers_to_open_the_form_again_only_when_parked() -> None:
    now = datetime.now(UTC)
    review = Prompt(
        id=7,
        application_id=3,
        user_id=1,
        kind=PromptKind.REVIEW,
        status=PromptStatus.PENDING,
        payload={},
        expires_at=now + timedelta(days=1),
        created_at=now,
    )

    def texts(prompt: Prompt) -> list[str]:
        return [button.text for row in _prompt_markup(prompt).inline_keyboard for button in row]

    assert REOPEN_BUTTON not in texts(review)
    assert REOPEN_BUTTON in texts(review.model_copy(update={"parked_at": now}))
