"""What the universal filler puts into a control of a known meaning, from the profile (no browser)."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation.adapters.base import ApplicantFiles, EmptyReason, FillSource
from automation.adapters.by_meaning import decide
from automation.questions import Choice, Question, QuestionKind
from storage.models import Profile

PROFILE = Profile(
    first_name="Ada",
    last_name="Lovelace",
    email="ada@example.org",
    phone="+1 415 555 0134",
    location="San Francisco, California, United States",
    current_company="Analytical Engines Ltd",
    headline="Senior Engineer",
    links={"linkedin": "https://linkedin.com/in/ada", "github": "https://github.com/ada"},
    work_authorization=["US"],
    needs_sponsorship=False,
    willing_to_relocate=True,
    answers={"Why us?": "Engines fascinate me."},
)
FILES = ApplicantFiles(resume=Path("/tmp/cv.pdf"))
YES_NO = ("Yes", "No")


def question(
    label: str,
    kind: str = "text",
    options: tuple[str, ...] = (),
    name: str = "",
    required: bool = False,
    hidden: bool = False,
) -> Question:
    choices = tuple(Choice(option, option, False, "") for option in options)
    return Question(
        "",
        label,
        QuestionKind(kind),
        options,
        required,
        selector=f"#{name or 'q'}",
        name=name,
        choices=choices,
        hidden=hidden,
    )


def value(q: Question, profile: Profile = PROFILE):
    return decide(q, profile, FILES, set()).value


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("First name", "Ada"),
        ("Nachname", "Lovelace"),
        ("Nombre completo", "Ada Lovelace"),
        ("Current company", "Analytical Engines Ltd"),
        ("City", "San Francisco"),
        ("State", "California"),
        ("LinkedIn Profile", "https://linkedin.com/in/ada"),
        ("Confirm email", "ada@example.org"),
        ("What is your current country of residence?", "United States"),
    ],
)
def test_profile_fields_by_meaning(label: str, expected: str) -> None:
    assert value(question(label)) == expected


def test_lever_org_is_the_current_company() -> None:
    assert value(question("Current company", name="org")) == "Analytical Engines Ltd"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Will you now or in the future require sponsorship for a visa?", "No"),
        ("Will you now or in the future require sponsorship for employment in the United Kingdom?", None),
        ("Are you legally authorized to work in the United States?", "Yes"),
        ("Are you legally authorized to work in the United Kingdom?", None),  # not in the profile: ask
        ("Are you currently located in Canada?", "No"),
        ("Are you currently located in the United States?", "Yes"),
        ("Are you willing to relocate?", "Yes"),
    ],
)
def test_legal_and_logistics_the_profile_settles(label: str, expected: str | None) -> None:
    assert value(question(label, "radio", YES_NO)) == expected


def test_disability_select_declines_with_the_forms_own_words() -> None:
    options = ("Yes, I have a disability", "No, I do not have a disability", "I do not want to answer")
    assert value(question("Disability Status", "select", options)) == "I do not want to answer"


def test_declined_without_a_decline_option_stays_empty_and_says_why() -> None:
    decided = decide(question("Gender", "select", ("Male", "Female")), PROFILE, FILES, set())
    assert decided.value is None and decided.reason is EmptyReason.DECLINED


def test_stated_answer_is_picked() -> None:
    stated = PROFILE.model_copy(update={"eeo": PROFILE.eeo.model_copy(update={"gender": "Female"})})
    assert value(question("Gender", "select", ("Male", "Female", "Decline to self-identify")), stated) == "Female"


@pytest.mark.parametrize(
    "q",
    [
        question("Send me marketing e-mails", "checkbox", ("Send me marketing e-mails",), required=False),
        question("Email", hidden=True),
        question("Website", name="honeypot"),
    ],
)
def test_left_alone(q: Question) -> None:
    decided = decide(q, PROFILE, FILES, set())
    assert decided.value is None and decided.reason is EmptyReason.LEFT_ALONE


def test_required_consent_is_ticked_optional_one_is_not() -> None:
    label = "I accept the privacy policy"
    assert value(question(label, "checkbox", (label,), required=True)) == "Yes"
    assert decide(question(label, "checkbox", (label,)), PROFILE, FILES, set()).reason is EmptyReason.OPTIONAL


def test_salary_only_when_the_profile_has_one() -> None:
    assert value(question("Salary expectations")) is None
    with_salary = PROFILE.model_copy(update={"salary_expectation": "120k USD"})
    assert value(question("Salary expectations"), with_salary) == "120k USD"


def test_unknown_question_takes_a_saved_answer() -> None:
    decided = decide(question("Why us?", "textarea"), PROFILE, FILES, set())
    assert decided.value == "Engines fascinate me." and decided.source is FillSource.SAVED
