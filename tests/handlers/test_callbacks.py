"""Callback data: buttons already sent in chats (packed before the fields were enums) still parse."""

from __future__ import annotations

import pytest

from automation.captcha import CaptchaDecision
from handlers.callbacks import (
    CaptchaCallback,
    LetterCallback,
    LetterCallbackAnyDecision,
    ReviewCallback,
    ReviewCallbackAnyDecision,
)
from storage.models import LetterDecision, ReviewDecision


@pytest.mark.parametrize(
    ("packed", "decision"),
    [
        ("rev:submit:12", ReviewDecision.SUBMIT),
        ("rev:cancel:12", ReviewDecision.CANCEL),
        ("rev:fix:12", ReviewDecision.FIX),
        ("rev:by_hand:12", ReviewDecision.BY_HAND),
    ],
)
def test_an_old_review_button_parses_to_its_decision_and_packs_the_same(packed: str, decision: ReviewDecision) -> None:
    data = ReviewCallback.unpack(packed)
    assert data.decision is decision and data.prompt_id == 12
    assert ReviewCallback(decision=decision, prompt_id=12).pack() == packed


@pytest.mark.parametrize(
    ("packed", "decision"), [("cl:use:7", LetterDecision.USE), ("cl:without:7", LetterDecision.WITHOUT)]
)
def test_an_old_letter_button_parses_to_its_decision_and_packs_the_same(packed: str, decision: LetterDecision) -> None:
    data = LetterCallback.unpack(packed)
    assert data.decision is decision and data.prompt_id == 7
    assert LetterCallback(decision=decision, prompt_id=7).pack() == packed


def test_a_captcha_button_packs_its_decision_value() -> None:
    assert CaptchaCallback(decision=CaptchaDecision.DONE, prompt_id=3).pack() == "cap:done:3"
    assert CaptchaCallback.unpack("cap:cancel:3").decision is CaptchaDecision.CANCEL


@pytest.mark.parametrize(
    ("typed", "any_decision", "packed"),
    [
        (ReviewCallback, ReviewCallbackAnyDecision, "rev:bogus:1"),
        (LetterCallback, LetterCallbackAnyDecision, "cl:bogus:1"),
    ],
)
def test_a_forged_decision_is_not_a_typed_button_but_still_recognised(typed, any_decision, packed: str) -> None:
    with pytest.raises(ValueError, match="input_value='bogus'"):
        typed.unpack(packed)
    assert any_decision.unpack(packed).decision == "bogus"
