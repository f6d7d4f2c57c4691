"""The `nyx` program as a user runs it: `nyx run` with embedded databases, `nyx doctor`, `nyx migrate`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.fakes.openai_api import FakeOpenAI
from tests.support import ALLOWED_USER, CHROMIUM

ROOT = Path(__file__).resolve().parents[2]


def _env(fake_telegram, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "TELEGRAM_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=fake_telegram.token,
        TELEGRAM_API_BASE=fake_telegram.base_url,
        ALLOWED_USER_IDS=str(ALLOWED_USER),
        DATA_DIR=str(tmp_path / "data"),
        CHROME_PATH=CHROMIUM,
        PYTHONPATH=str(ROOT),
    )
    return env | extra


def _fill_env(display: str, fake_openai: FakeOpenAI | None = None, **extra: str) -> dict[str, str]:
    """`nyx fill`'s environment: none of the caller's Telegram, database, Redis or LLM settings; the test
    display; the fake LLM when one is given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "REDIS_", "LLM_"))}
    env |= {"PYTHONPATH": str(ROOT), "CHROME_PATH": CHROMIUM, "URL_ALLOW_HOSTS": "127.0.0.1", "DISPLAY": display}
    if fake_openai is not None:
        env |= {
            "LLM_BASE_URL": fake_openai.base_url,
            "LLM_API_KEY": fake_openai.api_key or "sk-test",
            "LLM_MODEL": "fake-model",
        }
    return env | extra


async def _nyx(*args: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_nyx_run_needs_only_a_token(fake_telegram, tmp_path):
    """No DATABASE_URL, no REDIS_URL: embedded servers start, the bot answers, SIGTERM stops it cleanly."""
    process = await _nyx("run", env=_env(fake_telegram, tmp_path), cwd=tmp_path)
    try:
        user = fake_telegram.user(ALLOWED_USER)
        await user.send_command("/start")
        welcome = await fake_telegram.wait_for_message(lambda m: m.chat_id == user.chat_id, timeout=120)
        assert "Nyx Venatrix" in welcome.body
        assert {c["command"] for c in fake_telegram.bot_commands()} >= {"start", "help", "profile", "jobs"}
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert fake_telegram.token not in stderr.decode(), "the token never reaches the logs"
    assert (tmp_path / "data" / "postgres" / "PG_VERSION").exists()


async def test_doctor_reports_each_check_on_one_line(fake_telegram, tmp_path, database_url, embedded_services):
    _, redis_url = embedded_services
    # The optional keys left empty, as .env.example ships them: each such feature is off, and says why.
    env = _env(
        fake_telegram,
        tmp_path,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        LLM_API_KEY="",
        TWOCAPTCHA_API_KEY="",
        WEBHOOK_URL="",
        WEBHOOK_SECRET="",
        HTTP_PORT="",
    )
    process = await _nyx("doctor", env=env, cwd=tmp_path)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    lines = stdout.decode().splitlines()
    assert process.returncode == 0, stdout.decode() + stderr.decode()
    by_name = {line.split()[1]: line for line in lines}
    assert set(by_name) == {"token", "database", "redis", "chrome", "llm", "2captcha", "webhook", "backend", "langfuse"}
    for name in ("token", "database", "redis", "chrome"):
        assert by_name[name].startswith("[ok]"), by_name[name]
    assert "@nyx_test_bot" in by_name["token"]
    assert by_name["llm"].startswith("[ok]") and "off (no LLM_API_KEY)" in by_name["llm"]
    assert by_name["2captcha"].split(None, 2)[2] == "off (no TWOCAPTCHA_API_KEY) — CAPTCHAs are asked in the chat"
    assert "off (no WEBHOOK_URL)" in by_name["webhook"]
    assert "browser-use: off (no LLM_API_KEY)" in by_name["backend"]
    assert "off (no LANGFUSE_PUBLIC_KEY/SECRET_KEY/HOST)" in by_name["langfuse"]


async def test_doctor_fails_on_a_required_check(fake_telegram, tmp_path, database_url, embedded_services):
    _, redis_url = embedded_services
    env = _env(
        fake_telegram,
        tmp_path,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        TELEGRAM_BOT_TOKEN="42:not-the-token-the-server-knows",
        CHROME_PATH="/nonexistent/chrome",
    )
    process = await _nyx("doctor", env=env, cwd=tmp_path)
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    lines = {line.split()[1]: line for line in stdout.decode().splitlines()}
    assert process.returncode == 1
    assert lines["token"].startswith("[FAIL]") and "not-the-token" not in lines["token"]
    assert lines["chrome"].startswith("[FAIL]")
    assert lines["database"].startswith("[ok]")


@pytest.mark.parametrize("command", ["bot", "worker"])
async def test_split_processes_insist_on_configured_databases(fake_telegram, tmp_path, command):
    process = await _nyx(command, env=_env(fake_telegram, tmp_path), cwd=tmp_path)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert stderr.decode().strip() == (
        "nyx: configuration error: DATABASE_URL and REDIS_URL must be set (only `nyx run` embeds them)"
    )


async def test_nyx_fill_reports_without_submitting(job_site, tmp_path, xvfb_display):
    """The adapter developer's loop: no Telegram, no database, no token; nothing is submitted."""
    from tests.fakes.ats_lever import LeverJobSite

    resume = tmp_path / "cv.pdf"
    resume.write_bytes(b"%PDF-1.4\n% cv\n%%EOF\n")
    profile = tmp_path / "profile.yaml"
    profile.write_text(
        "first_name: Ada\nlast_name: Lovelace\nemail: ada@example.org\nphone: '+44 20 7946 0000'\n"
        "location: London, UK\nresume_path: cv.pdf\n"
    )
    env = _fill_env(xvfb_display)
    shot = tmp_path / "form.png"
    process = await _nyx(
        "fill",
        job_site.posting_url,
        "--profile",
        str(profile),
        "--json",
        "--screenshot",
        str(shot),
        env=env,
        cwd=tmp_path,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, stderr.decode()[-2000:]
    report = json.loads(stdout)
    assert report["ats"] == "greenhouse" and report["captchas"] == []
    email = next(f for f in report["fields"] if f["intended"] == "ada@example.org")
    assert email["actual"] == "ada@example.org" and email["ok"]
    assert report["llm_calls"] == 0
    # Each field says which step filled it, or why it is empty (what the apply flow would ask is listed).
    assert all(f["filled_by"] or f["empty_because"] for f in report["fields"]), report["fields"]
    assert all(f["filled_by"] is None for f in report["fields"] if not f["actual"])
    assert {f["empty_because"] for f in report["fields"] if f["required"] and not f["actual"]} <= {"asked"}
    assert shot.read_bytes().startswith(b"\x89PNG")
    assert job_site.submissions == []

    async with LeverJobSite() as lever:
        process = await _nyx("fill", lever.apply_url, "--profile", str(profile), env=env, cwd=tmp_path)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    text = stdout.decode()
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert text.startswith("ATS: lever    CAPTCHA: hcaptcha") and "nothing was submitted" in text


async def test_nyx_fill_refuses_private_addresses(tmp_path):
    profile = tmp_path / "profile.yaml"
    profile.write_text("first_name: Ada\nlast_name: L\nemail: ada@example.org\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "URL_"))} | {"PYTHONPATH": str(ROOT)}
    process = await _nyx("fill", "http://169.254.169.254/latest", "--profile", str(profile), env=env, cwd=tmp_path)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 1
    assert "link-local or cloud-metadata" in stderr.decode()


def _answers_general_questions(requests_seen: list[dict]):
    """The fake model: answers the batched questions (each general one, confidently); plays the agent otherwise."""
    from tests.fakes.questions_form_site import GENERAL
    from tests.fakes.scripted_agent_model import FormFillingModel

    agent = FormFillingModel()

    def respond(body: dict) -> object:
        schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("name")
        if schema != "AnsweredQuestions":
            return agent(body)
        requests_seen.append(body)
        prompt = body["messages"][-1]["content"]
        questions = json.loads(prompt.split("Questions:\n", 1)[1])
        return {
            "answers": [
                {
                    "question_id": q["question_id"],
                    "answer": f"Answer to: {q['question']}" if q["question"] in GENERAL else None,
                    "confidence": 0.9 if q["question"] in GENERAL else 0.0,
                }
                for q in questions
            ]
        }

    return respond


async def test_nyx_fill_runs_the_order_of_work_and_lists_what_it_would_ask(fake_openai, tmp_path, xvfb_display) -> None:
    """Universal filler → saved answers → one batched LLM call → the agent (it asks: listed, not asked)."""
    from tests.fakes.questions_form_site import GENDER, GENERAL, SALARY, SPONSORSHIP, QuestionsFormSite

    batched: list[dict] = []
    fake_openai.script(_answers_general_questions(batched))
    (tmp_path / "cv.pdf").write_bytes(b"%PDF-1.4\n% cv\n%%EOF\n")
    profile = tmp_path / "profile.yaml"
    profile.write_text(
        "first_name: Ada\nlast_name: Lovelace\nemail: ada@example.org\nlocation: San Francisco, United States\n"
        "resume_path: cv.pdf\nwork_authorization: [US]\nneeds_sponsorship: false\n"
        "eeo: {gender: decline, race: decline, veteran: decline, disability: decline}\n"
    )
    env = _fill_env(xvfb_display, fake_openai, AGENT_MAX_STEPS="8")
    async with QuestionsFormSite() as site:
        process = await _nyx("fill", site.posting_url, "--profile", str(profile), "--json", env=env, cwd=tmp_path)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=300)
        assert process.returncode == 0, stderr.decode()[-3000:]
        assert site.submissions == []
    report = json.loads(stdout)
    fields = {f["label"]: f for f in report["fields"]}

    # One request carries every general question; nothing the profile settles, nothing sensitive.
    assert len(batched) == 1
    prompt = batched[0]["messages"][-1]["content"]
    assert [q["question"] for q in json.loads(prompt.split("Questions:\n", 1)[1])] == list(GENERAL)
    assert not any(label in json.dumps(batched[0]) for label in (SPONSORSHIP, GENDER, SALARY, "ada@example.org"))
    for question in GENERAL:
        assert fields[question]["filled_by"] == "LLM" and fields[question]["actual"] == f"Answer to: {question}"
    assert fields[SPONSORSHIP]["filled_by"] == "universal filler" and fields[SPONSORSHIP]["actual"] == "No"
    assert fields[GENDER]["actual"] == "Decline to self-identify"
    assert fields["Email"]["filled_by"] == "universal filler"
    # The salary is nobody's to invent: the agent, which took over for it, would ask; nothing filled it.
    assert fields[SALARY]["actual"] == "" and fields[SALARY]["filled_by"] is None
    assert report["would_ask"] == [SALARY]
    assert report["llm_calls"] >= 2  # the batch, then the agent's steps


async def test_nyx_fill_with_saved_answers_makes_no_llm_request(fake_openai, tmp_path, xvfb_display):
    """A profile that settles every question: zero requests at the LLM, nothing to ask."""
    from tests.fakes.questions_form_site import GENERAL, SALARY, QuestionsFormSite

    fake_openai.script(lambda body: "no request was expected")
    (tmp_path / "cv.pdf").write_bytes(b"%PDF-1.4\n% cv\n%%EOF\n")
    answers = "".join(f"  {json.dumps(q)}: {json.dumps('Saved: ' + q)}\n" for q in GENERAL)
    profile = tmp_path / "profile.yaml"
    profile.write_text(
        "first_name: Ada\nlast_name: Lovelace\nemail: ada@example.org\nlocation: San Francisco, United States\n"
        "resume_path: cv.pdf\nwork_authorization: [US]\nneeds_sponsorship: false\nsalary_expectation: '150000'\n"
        "eeo: {gender: decline, race: decline, veteran: decline, disability: decline}\n"
        f"answers:\n{answers}"
    )
    env = _fill_env(xvfb_display, fake_openai)
    async with QuestionsFormSite() as site:
        process = await _nyx("fill", site.posting_url, "--profile", str(profile), "--json", env=env, cwd=tmp_path)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=180)
        assert process.returncode == 0, stderr.decode()[-3000:]
    report = json.loads(stdout)
    fields = {f["label"]: f for f in report["fields"]}
    assert fake_openai.requests == [] and report["llm_calls"] == 0
    assert report["would_ask"] == []
    assert all(fields[q]["filled_by"] == "saved answer" and fields[q]["actual"] == f"Saved: {q}" for q in GENERAL)
    assert fields[SALARY]["actual"] == "150000"
