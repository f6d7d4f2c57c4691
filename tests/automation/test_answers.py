"""Custom questions: classes that are never guessed, saved answers found by meaning, options, one LLM call.

The LLM is FakeOpenAI reached over real HTTP through langchain-openai. Run alone:
`.venv/bin/pytest tests/automation/test_answers.py -p tests.fakes.openai_api --noconftest`.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from automation.answers import answer_questions
from automation.llm import LLMConfig, UsageCounter, make_chat_model
from automation.questions import (
    FillSource,
    Question,
    QuestionClass,
    QuestionKind,
    choose_option,
    classify,
    decline_option,
    find_saved_answer,
    fit_answer,
)
from storage.models import Profile
from tests.fakes.openai_api import FakeOpenAI, InvalidJSON

L, D, S, Y, G = (
    QuestionClass.LEGAL,
    QuestionClass.DEMOGRAPHIC,
    QuestionClass.SALARY,
    QuestionClass.EXPERIENCE_YEARS,
    QuestionClass.GENERAL,
)

YES_NO = ("Yes", "No")
EEO_GENDER = ("Male", "Female", "Non-binary", "Decline to self-identify")


@pytest.fixture
def profile() -> Profile:
    return Profile(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.org",
        phone="+44 20 7946 0000",
        location="London, UK",
        links={"linkedin": "https://www.linkedin.com/in/ada", "github": "https://github.com/ada"},
        answers={
            "Are you legally authorized to work in the United States?": "Yes",
            "Will you now or in the future require visa sponsorship?": "No",
            "What are your salary expectations?": "150000",
            "How many years of experience do you have with Python?": "7",
            "Are you willing to relocate to London?": "Yes",
            "Gender": "Female",
            "What is your favourite programming language?": "Python",
        },
    )


@pytest.fixture
def chat_model(fake_openai: FakeOpenAI) -> ChatOpenAI:
    config = LLMConfig(fake_openai.base_url, SecretStr(fake_openai.api_key), "grok-4-fast", timeout_s=10, max_retries=0)
    model = make_chat_model(config)
    assert model is not None
    return model


def q(
    label: str,
    kind: QuestionKind = QuestionKind.TEXT,
    options: tuple[str, ...] = (),
    *,
    qid: str | None = None,
    required: bool = True,
) -> Question:
    return Question(qid or f"question_{abs(hash(label)) % 10_000}", label, kind, options, required)


def llm_reply(answers: dict[str, tuple[str | None, float]]) -> dict:
    return {
        "answers": [
            {"question_id": qid, "answer": answer, "confidence": confidence}
            for qid, (answer, confidence) in answers.items()
        ]
    }


def asked(request) -> list[dict]:
    """The questions a recorded request put to the LLM."""
    prompt = request.prompt
    return json.loads(prompt[prompt.index("Questions:\n") + len("Questions:\n") :])


# --------------------------------------------------------------------------- classifying


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        # legal
        ("Are you legally authorized to work in the United States?", L),
        ("Are you legally authorised to work in the UK?", L),
        ("Will you now or in the future require sponsorship for employment visa status (e.g., H-1B visa status)?", L),
        ("Do you require visa sponsorship?", L),
        ("Do you have the right to work in Germany?", L),
        ("Are you eligible to work in Canada without restriction?", L),
        ("What is your current work permit status?", L),
        ("Are you a U.S. citizen or permanent resident?", L),
        ("Have you ever been convicted of a felony?", L),
        ("Do you have any unspent criminal convictions?", L),
        ("Are you willing to undergo a background check, in accordance with local law/regulations?", L),
        ("Are you able to pass a drug screening?", L),
        ("Do you currently hold an active security clearance?", L),
        ("Are you 18 years of age or older?", L),
        ("Are you bound by a non-compete agreement?", L),
        # demographic
        ("Gender", D),
        ("What is your gender identity?", D),
        ("Are you Hispanic/Latino?", D),
        ("Please identify your race", D),
        ("How would you describe your racial/ethnic background?", D),
        ("Veteran Status", D),
        ("Are you a protected veteran?", D),
        ("Disability Status", D),
        ("Do you have a disability or chronic condition (physical or mental health)?", D),
        ("What are your pronouns?", D),
        ("What is your age range?", D),
        ("Date of birth", D),
        ("How would you describe your sexual orientation?", D),
        ("Do you identify as transgender?", D),
        # salary
        ("What are your salary expectations?", S),
        ("Desired compensation (USD)", S),
        ("What is your expected hourly rate?", S),
        ("Current CTC", S),
        ("What is your minimum base pay requirement?", S),
        ("What are your compensation expectations for this role?", S),
        ("How much do you expect to earn in this position?", S),
        ("Expected day rate (GBP)", S),
        # years of experience
        ("How many years of experience do you have with Python?", Y),
        ("Years of professional experience", Y),
        ("How many years have you worked in B2B SaaS sales?", Y),
        ("Total years of relevant experience", Y),
        ("How long have you been using React?", Y),
        ("Number of years of experience in people management", Y),
        ("How many yrs of exp do you have with AWS?", Y),
        # general
        ("Why do you want to work at Acme?", G),
        ("How did you hear about this job?", G),
        ("Are you willing to relocate to London?", G),
        ("When can you start?", G),
        ("What is your notice period?", G),
        ("Describe a challenging project you led.", G),
        ("Do you have experience with Kubernetes?", G),
        ("How would you rate your SQL skills?", G),
        ("Explain a race condition you debugged.", G),
        ("Are you comfortable working in a hybrid environment (3 days in office)?", G),
        ("Please paste a link to your portfolio", G),
        ("What languages do you speak?", G),
    ],
)
def test_classify(label, expected):
    assert classify(label) is expected


# --------------------------------------------------------------------------- saved answers by meaning


@pytest.mark.parametrize(
    ("saved", "asked_label"),
    [
        ("Are you legally authorized to work in the US?", "Do you have the right to work in the United States?"),
        (
            "Are you legally authorized to work in the U.S.?",
            "Are you legally authorized to work in the United States of America for any employer?",
        ),
        ("Will you now or in the future require sponsorship?", "Do you need visa sponsorship?"),
        (
            "Do you need visa sponsorship?",
            "Will you now or in the future require sponsorship for employment visa status (e.g., H-1B visa status)?",
        ),
        ("Do you need visa sponsorship?", "Will you require the company to sponsor you for a work visa?"),
        ("Are you currently authorised to work in Canada?", "Are you legally eligible to work in Canada?"),
        ("Desired salary", "What are your salary expectations?"),
        ("How many years of experience do you have with Python?", "Years of experience in Python"),
        ("How long have you been using React?", "How many years of React experience do you have?"),
        ("How did you hear about us?", "How did you find out about this job?"),
        ("When can you start?", "What is your earliest start date?"),
        ("Are you willing to work remotely?", "Are you open to remote work?"),
        ("Are you willing to relocate to London?", "Would you relocate to London?"),
        ("Are you 18 years of age or older?", "Are you at least 18 years old?"),
        ("Gender", "What is your gender?"),
        ("Are you a protected veteran?", "Veteran status"),
        ("Are you willing to undergo a background check?", "Do you consent to a background check?"),
        ("  are you LEGALLY authorized to work in the US ", "Are you legally authorized to work in the US?"),
    ],
)
def test_saved_answer_found_by_meaning(saved, asked_label):
    match = find_saved_answer(asked_label, {saved: "the answer", "What is your favourite colour?": "blue"})
    assert match is not None and match.question == saved and match.answer == "the answer"


@pytest.mark.parametrize(
    ("saved", "asked_label"),
    [
        # different countries
        ("Are you legally authorized to work in the US?", "Are you legally authorized to work in the UK?"),
        ("Do you have the right to work in the United Kingdom?", "Do you have the right to work in Germany?"),
        ("Are you legally authorized to work in the US?", "Are you legally authorized to work in this country?"),
        ("Do you need visa sponsorship to work in the US?", "Do you need visa sponsorship to work in Canada?"),
        # opposite questions
        ("Do you require sponsorship?", "Are you able to work without sponsorship?"),
        ("Are you authorized to work in the US?", "Are you authorized to work in the US without sponsorship?"),
        ("What is your current salary?", "What are your salary expectations?"),
        ("What is your minimum salary?", "What is your maximum salary?"),
        ("Are you looking for full-time work?", "Are you looking for part-time work?"),
        # different subjects
        ("How many years of experience do you have with Python?", "How many years of Java experience do you have?"),
        ("Are you willing to relocate to London?", "Are you willing to relocate to Berlin?"),
        ("Do you have a criminal record?", "Have you ever been convicted of a felony?"),
        ("Gender", "Do you identify as transgender?"),
        ("Are you legally authorized to work in the US?", "Are you a US citizen?"),
        ("How did you hear about us?", "Why do you want to work here?"),
    ],
)
def test_different_questions_do_not_share_answers(saved, asked_label):
    assert find_saved_answer(asked_label, {saved: "Yes"}) is None


def test_two_equally_close_saved_answers_that_disagree_are_not_guessed_between():
    saved = {"Do you need sponsorship?": "No", "Will you need visa sponsorship?": "Yes"}
    assert find_saved_answer("Do you require visa sponsorship?", saved) is None


# --------------------------------------------------------------------------- fitting options


@pytest.mark.parametrize(
    ("value", "options", "expected"),
    [
        ("yes", ("Yes", "No"), "Yes"),
        ("Yes", ("Yes, I am authorized to work in the US", "No, I am not"), "Yes, I am authorized to work in the US"),
        (
            "No",
            ("Yes, I will require sponsorship", "No, I will not require sponsorship"),
            "No, I will not require sponsorship",
        ),
        ("I am authorised to work in the UK", YES_NO, "Yes"),
        ("I do not need sponsorship", YES_NO, "No"),
        ("female", EEO_GENDER, "Female"),
        ("FEMALE.", EEO_GENDER, "Female"),
        ("Woman", ("Man", "Woman", "Non-binary", "I prefer not to say"), "Woman"),
        ("7", ("0-2 years", "3-5 years", "6-10 years", "10+ years"), "6-10 years"),
        ("12 years", ("Less than 1 year", "1-3 years", "3-6", "More than 6 years"), "More than 6 years"),
        ("$120k", ("$80,000 - $100,000", "$100,000 - $130,000", "$130,000+"), "$100,000 - $130,000"),
        ("master", ("Bachelor's degree", "Master's degree", "PhD"), "Master's degree"),
        ("Through a referral from a friend", ("LinkedIn", "Indeed", "Company website", "Referral"), "Referral"),
        ("maybe", YES_NO, None),
        ("No", ("I will require sponsorship", "I will not require sponsorship"), None),
        ("Python", ("Java", "Go"), None),
    ],
)
def test_choose_option(value, options, expected):
    assert choose_option(value, options) == expected


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (EEO_GENDER, "Decline to self-identify"),
        (("Yes", "No", "I don't wish to answer"), "I don't wish to answer"),
        (("Asian", "White", "Prefer not to say"), "Prefer not to say"),
        (("Yes", "No", "I choose not to disclose"), "I choose not to disclose"),
        (("Yes, I have a disability", "No", "I do not want to answer"), "I do not want to answer"),  # CC-305
        (("Yes", "No"), None),
    ],
)
def test_decline_option(options, expected):
    assert decline_option(options) == expected


@pytest.mark.parametrize(
    ("value", "kind", "options", "expected"),
    [
        ("7 years", QuestionKind.NUMBER, (), "7"),
        ("$150,000", QuestionKind.NUMBER, (), "150000"),
        ("about three", QuestionKind.NUMBER, (), None),
        ("yes", QuestionKind.CHECKBOX, (), "Yes"),
        ("Python, SQL", QuestionKind.CHECKBOX, ("Python", "SQL", "Rust"), "Python, SQL"),
        ("  free text  ", QuestionKind.TEXTAREA, (), "free text"),
    ],
)
def test_fit_answer(value, kind, options, expected):
    assert fit_answer(value, q("Anything", kind, options)) == expected


@given(value=st.text(max_size=40), options=st.lists(st.text(max_size=30), max_size=6))
def test_chosen_option_is_always_one_of_the_options(value, options):
    chosen = choose_option(value, options)
    assert chosen is None or chosen in options


# --------------------------------------------------------------------------- answering without the LLM


async def test_saved_answers_profile_fields_and_eeo_default_without_llm(profile):
    questions = [
        q(
            "Do you have the right to work in the United States?",
            QuestionKind.RADIO,
            ("Yes, I am authorized", "No, I am not authorized"),
        ),
        q("Are you legally authorized to work in the UK?", QuestionKind.SELECT, YES_NO),
        q("Do you need visa sponsorship?", QuestionKind.SELECT, YES_NO),
        q("Desired salary", QuestionKind.NUMBER),
        q("Years of experience in Python", QuestionKind.SELECT, ("0-2", "3-5", "6-10", "10+")),
        q("How many years of Rust experience do you have?", QuestionKind.NUMBER),
        q("Gender", QuestionKind.SELECT, EEO_GENDER),
        q(
            "Veteran status",
            QuestionKind.SELECT,
            ("I am a protected veteran", "I am not a protected veteran", "I don't wish to answer"),
        ),
        q("Do you have a disability?", QuestionKind.RADIO, ("Yes", "No")),
        q("LinkedIn Profile"),
        q("Email address"),
        q("Why do you want to work here?", QuestionKind.TEXTAREA),
    ]

    sheet = await answer_questions(questions, profile)

    got = [(answer.value, answer.source, answer.needs_user) for answer in sheet]
    assert got == [
        ("Yes, I am authorized", FillSource.SAVED, False),
        (None, None, True),  # the saved answer is about the US, not the UK
        ("No", FillSource.SAVED, False),
        ("150000", FillSource.SAVED, False),
        ("6-10", FillSource.SAVED, False),
        (None, None, True),  # years of Rust: never guessed
        ("Female", FillSource.SAVED, False),
        ("I don't wish to answer", FillSource.UNIVERSAL, False),
        (None, None, True),  # demographic without a decline option
        ("https://www.linkedin.com/in/ada", FillSource.UNIVERSAL, False),
        ("ada@example.org", FillSource.UNIVERSAL, False),
        (None, None, True),
    ]
    assert sheet.answers[0].reason == 'saved answer to "Are you legally authorized to work in the United States?"'
    assert sheet.answers[1].reason == "legal question with no saved answer: never guessed"
    assert sheet.answers[5].reason == "experience years question with no saved answer: never guessed"
    assert sheet.answers[11].reason == "no saved answer and no LLM configured"
    assert [answer.question.label for answer in sheet.needs_user] == [
        questions[1].label,
        questions[5].label,
        questions[8].label,
        questions[11].label,
    ]
    assert sheet.values[questions[0].id] == "Yes, I am authorized"


async def test_saved_answer_that_fits_no_option_goes_to_the_user(profile):
    sheet = await answer_questions([q("Gender", QuestionKind.SELECT, ("Man", "Non-binary"))], profile)
    [answer] = sheet
    assert answer.needs_user and answer.reason == 'your saved answer "Female" fits none of the options'


# --------------------------------------------------------------------------- the one LLM call


async def test_general_questions_go_in_one_batched_call_and_sensitive_ones_never(fake_openai, chat_model, profile):
    questions = [
        q("Why do you want to work at Acme?", QuestionKind.TEXTAREA, qid="why"),
        q("Are you legally authorized to work in Ireland?", QuestionKind.SELECT, YES_NO, qid="legal"),
        q("Which office would you prefer?", QuestionKind.SELECT, ("Dublin", "London", "Remote"), qid="office"),
        q("What is your expected hourly rate?", qid="rate"),
        q("How many years have you managed teams?", QuestionKind.NUMBER, qid="years"),
        q("Have you ever been convicted of a crime?", QuestionKind.RADIO, YES_NO, qid="crime"),
        q("What is your race?", QuestionKind.SELECT, ("Asian", "Black", "White"), qid="race"),
        q("Do you have experience with Kafka?", QuestionKind.RADIO, YES_NO, qid="kafka"),
        q("What is your favourite programming language?", qid="fav"),  # saved
    ]
    fake_openai.script(
        lambda body: llm_reply(
            {
                "q1": ("I admire Acme's work on payments.", 0.9),
                "q2": ("London", 0.8),
                "q3": ("Yes", 0.7),
            }
        )
    )
    usage = UsageCounter()

    sheet = await answer_questions(
        questions, profile, model=chat_model, usage=usage, job_context="Acme builds payment systems."
    )

    [request] = fake_openai.requests
    assert request.structured_output == "json_schema"
    assert [item["question"] for item in asked(request)] == [
        "Why do you want to work at Acme?",
        "Which office would you prefer?",
        "Do you have experience with Kafka?",
    ]
    assert asked(request)[1] == {
        "question_id": "q2",
        "question": "Which office would you prefer?",
        "type": "select",
        "options": ["Dublin", "London", "Remote"],
        "required": True,
    }
    body = json.dumps(request.body)
    for never_sent in ("Ireland", "hourly rate", "managed teams", "convicted", "race", "Female", "150000"):
        assert never_sent not in body
    assert "ada@example.org" not in body and "7946" not in body
    assert "Acme builds payment systems." in request.prompt

    by_id = {answer.question.id: answer for answer in sheet}
    assert [(by_id[qid].value, by_id[qid].source) for qid in ("why", "office", "kafka", "fav")] == [
        ("I admire Acme's work on payments.", FillSource.LLM),
        ("London", FillSource.LLM),
        ("Yes", FillSource.LLM),
        ("Python", FillSource.SAVED),
    ]
    assert all(by_id[qid].needs_user for qid in ("legal", "rate", "years", "crime", "race"))
    assert by_id["why"].reason == "suggested by the LLM (90% sure)"
    assert usage.calls == 1 and usage.total_tokens == request.response["usage"]["total_tokens"]


async def test_llm_answers_that_do_not_fit_go_to_the_user(fake_openai, chat_model, profile):
    questions = [
        q("Which office would you prefer?", QuestionKind.SELECT, ("Dublin", "London")),
        q("Tell us about a side project", QuestionKind.TEXTAREA),
        q("What motivates you?"),
        q("What is your favourite editor?"),
        q("How many people did you mentor last year?", QuestionKind.NUMBER),
        q("Anything else?", QuestionKind.TEXT),
    ]
    fake_openai.queue(
        llm_reply(
            {
                "q1": ("Paris", 0.9),  # not an option
                "q2": ("I built a loom.", 0.2),  # unsure
                "q3": (None, 0.0),  # cannot say
                "q5": ("several", 0.9),  # not a number
                "q6": ("x" * 600, 0.9),  # far too long for a text field
                "q99": ("stray", 1.0),  # no such question
            }
        )
    )

    sheet = await answer_questions(questions, profile, model=chat_model)

    assert len(fake_openai.requests) == 1
    assert all(answer.needs_user and answer.source is None for answer in sheet)
    assert [answer.reason for answer in sheet] == [
        'the LLM\'s answer "Paris" does not fit the question',
        'the LLM was unsure (20%): "I built a loom."',
        "the LLM could not answer it from your profile",
        "the LLM could not answer it from your profile",
        'the LLM\'s answer "several" does not fit the question',
        f'the LLM\'s answer "{"x" * 79}…" does not fit the question',
    ]


@pytest.mark.parametrize("failure", ["http500", "garbage"])
async def test_llm_failure_leaves_general_questions_to_the_user(fake_openai, chat_model, profile, failure):
    if failure == "http500":
        fake_openai.fail_next(500)
    else:
        fake_openai.queue(InvalidJSON())
    questions = [q("What motivates you?"), q("Gender", QuestionKind.SELECT, EEO_GENDER)]

    sheet = await answer_questions(questions, profile, model=chat_model)

    assert len(fake_openai.requests) == 1
    motivation, gender = sheet.answers
    assert motivation.needs_user and motivation.reason.startswith("no answer: the LLM")
    assert gender.value == "Female"


async def test_no_llm_call_when_nothing_is_left_for_it(fake_openai, chat_model, profile):
    questions = [
        q("What is your favourite programming language?"),
        q("Are you a US citizen?", QuestionKind.RADIO, YES_NO),
        q("Website"),
    ]
    sheet = await answer_questions(questions, profile, model=chat_model)
    assert fake_openai.requests == []
    assert [answer.source for answer in sheet] == [FillSource.SAVED, None, None]
    assert sheet.answers[2].reason == "your profile has no website"


async def test_contact_details_reach_the_llm_only_when_a_question_needs_them(fake_openai, chat_model, profile):
    fake_openai.script(lambda body: llm_reply({"q1": ("By e-mail: ada@example.org", 0.9)}))
    await answer_questions([q("What is the best way to contact you?")], profile, model=chat_model)
    await answer_questions([q("What motivates you?")], profile, model=chat_model)
    with_contact, without = (request.prompt for request in fake_openai.requests)
    assert "ada@example.org" in with_contact and "+44 20 7946 0000" in with_contact
    assert "ada@example.org" not in without and "7946" not in without
    assert "Gender" not in without and "salary" not in without
    assert "favourite programming language?: Python" in without
