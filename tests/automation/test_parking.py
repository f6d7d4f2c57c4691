"""What a refill is compared with before a parked review is submitted (automation.parking)."""

from __future__ import annotations

from automation.adapters.base import FieldReading, FilledForm
from automation.parking import Progress, form_changes
from storage.applications import FieldRecord

APPROVED = [
    FieldRecord("First Name", "#first_name", "Ada", "Ada", True),
    FieldRecord("Resume/CV", "#resume", "cv.pdf", "cv.pdf", True),
    FieldRecord("Why us?", "#question_1", "Rockets.", "Rockets.", True),
]


def refilled(*extra: FieldReading, **actual: str) -> FilledForm:
    fields = [
        FieldReading(f.label, f.selector, f.intended, actual.get(f.selector.strip("#"), f.actual), f.required)
        for f in APPROVED
    ]
    return FilledForm("greenhouse", "http://127.0.0.1/jobs/1", [*fields, *extra], b"")


def test_the_same_form_read_again_has_no_changes():
    assert form_changes(APPROVED, refilled()) == []


def test_case_and_spacing_are_not_changes():
    assert form_changes(APPROVED, refilled(question_1="  rockets. ")) == []


def test_a_value_that_did_not_take_is_a_change():
    assert form_changes(APPROVED, refilled(first_name="")) == ["First Name reads empty instead of Ada"]


def test_a_new_required_field_is_a_change_an_empty_optional_one_is_not():
    pronouns = FieldReading("Your pronouns", "#question_2", None, "", required=True)
    newsletter = FieldReading("Newsletter", "#question_3", None, "", required=False)
    assert form_changes(APPROVED, refilled(pronouns, newsletter)) == ["new field Your pronouns (required)"]


def test_a_field_gone_from_the_page_is_a_change():
    form = refilled()
    form.fields = [f for f in form.fields if f.selector != "#question_1"]
    assert form_changes(APPROVED, form) == ["Why us? is gone"]


def test_progress_survives_its_json_form():
    progress = Progress(
        answers={"#question_1": "Rockets."},
        suggested={"Why us?": "Rockets."},
        letter="without",
        agent={"history": {"history": []}, "answers": {}, "files": {}},
    )
    assert Progress.from_json(progress.to_json()) == progress
    assert Progress.from_json(None) == Progress()
