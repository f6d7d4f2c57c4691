"""CAPTCHA solving through 2captcha-python against a local 2captcha over TLS, and in real Chromium:
the token or the image's text lands in the form's POST."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from datetime import UTC
from pathlib import Path

import pytest
import pytest_asyncio
from PIL import Image
from pydantic import SecretStr

from automation import page_js
from automation.adapters import ApplicantFiles, SubmitOutcome, open_application
from automation.browser import BrowserOptions, open_browser
from automation.captcha import (
    Captcha,
    CaptchaKind,
    CaptchaSolveFailed,
    CaptchaSolver,
    Fallback,
    Help,
    captcha_solved,
    detect_captchas,
    solve_with_service,
)
from bot.config import load_settings
from storage.models import Profile
from tests.fakes.captcha_site import (
    IMAGE_COLOUR,
    IMAGE_SIZE,
    PASSED_FIELD,
    SITEKEY,
    TEXT_FIELD,
    TOKEN_FIELD,
    CaptchaJobSite,
)
from tests.fakes.twocaptcha_api import FakeTwoCaptcha

PAGE = "https://jobs.example.org/apply/42"
WORK_PERMIT = "Are you legally authorized to work in Germany?"


@pytest_asyncio.fixture
async def fake_twocaptcha(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTwoCaptcha]:
    async with FakeTwoCaptcha(tmp_path / "ca") as fake:
        monkeypatch.setenv("SSL_CERT_FILE", str(fake.ca_file))  # how a user trusts a private CA
        yield fake


@pytest.fixture
def solver(fake_twocaptcha: FakeTwoCaptcha) -> CaptchaSolver:
    return CaptchaSolver(SecretStr(fake_twocaptcha.api_key), server=fake_twocaptcha.server, polling_seconds=0)


async def test_recaptcha_goes_with_its_sitekey_and_page_and_is_polled_until_ready(solver, fake_twocaptcha):
    fake_twocaptcha.not_ready_polls = 2
    solution = await solver.solve(Captcha(CaptchaKind.RECAPTCHA_V2, SITEKEY), PAGE)
    [task] = fake_twocaptcha.tasks
    assert solution.code == task.answer and solution.captcha_id == task.id
    assert task.method == "userrecaptcha" and task.polls == 3
    assert task.params["googlekey"] == SITEKEY and task.params["pageurl"] == PAGE
    assert task.params["version"] == "v2" and "invisible" not in task.params


async def test_each_kind_goes_to_its_own_method(solver, fake_twocaptcha):
    await solver.solve(Captcha(CaptchaKind.RECAPTCHA_V2_INVISIBLE, SITEKEY, invisible=True), PAGE)
    await solver.solve(Captcha(CaptchaKind.RECAPTCHA_V3, SITEKEY, invisible=True, action="apply"), PAGE)
    await solver.solve(Captcha(CaptchaKind.TURNSTILE, "0x4AAAAAAA"), PAGE)
    picture = Image.new("RGB", (120, 40), (10, 20, 30))
    png = io.BytesIO()
    picture.save(png, format="PNG")
    text = await solver.solve(Captcha(CaptchaKind.IMAGE, None), PAGE, png.getvalue())

    invisible, v3, turnstile, image = fake_twocaptcha.tasks
    assert invisible.params["invisible"] == "1"
    assert (v3.params["version"], v3.params["action"]) == ("v3", "apply")
    assert turnstile.method == "turnstile" and turnstile.params["sitekey"] == "0x4AAAAAAA"
    assert image.method == "base64" and image.image == png.getvalue()
    assert text.code == fake_twocaptcha.image_text


async def test_hcaptcha_is_never_sent(solver, fake_twocaptcha):
    hcaptcha = Captcha(CaptchaKind.HCAPTCHA, "10000000-ffff-ffff-ffff-000000000001", invisible=True)
    assert not solver.can_solve(hcaptcha)
    with pytest.raises(CaptchaSolveFailed):
        await solver.solve(hcaptcha, PAGE)
    assert await solve_with_service(solver, None, hcaptcha) == Help(Fallback.UNSUPPORTED)
    assert await solve_with_service(None, None, hcaptcha) == Help(Fallback.NO_KEY)
    assert fake_twocaptcha.tasks == []


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (lambda fake: setattr(fake, "in_error", "ERROR_ZERO_BALANCE"), "2captcha returned ERROR_ZERO_BALANCE"),
        (
            lambda fake: setattr(fake, "result_error", "ERROR_CAPTCHA_UNSOLVABLE"),
            "2captcha returned ERROR_CAPTCHA_UNSOLVABLE",
        ),
        (lambda fake: setattr(fake, "api_key", "another-key"), "2captcha returned ERROR_KEY_DOES_NOT_EXIST"),
    ],
)
async def test_service_errors_become_a_short_reason(solver, fake_twocaptcha, setup, reason):
    setup(fake_twocaptcha)
    with pytest.raises(CaptchaSolveFailed) as failed:
        await solver.solve(Captcha(CaptchaKind.RECAPTCHA_V2, SITEKEY), PAGE)
    assert failed.value.reason == reason


async def test_an_untrusted_certificate_is_a_network_failure_without_the_key(solver, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(CaptchaSolveFailed) as failed:
        await solver.solve(Captcha(CaptchaKind.TURNSTILE, "0x4AAAAAAA"), PAGE)
    assert failed.value.reason == "2captcha could not be reached"


def test_the_server_is_a_bare_host():
    assert load_settings(_env_file=None, need_token=False).twocaptcha_server == "2captcha.com"
    assert (
        load_settings(_env_file=None, need_token=False, twocaptcha_server="127.0.0.1:8443").twocaptcha_server
        == "127.0.0.1:8443"
    )
    with pytest.raises(Exception, match="TWOCAPTCHA_SERVER"):
        load_settings(_env_file=None, need_token=False, twocaptcha_server="https://2captcha.com/in.php")


# --- in real Chromium -------------------------------------------------------------------------


@pytest.fixture
def profile() -> Profile:
    return Profile(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.org",
        location="London, UK",
        answers={WORK_PERMIT: "Yes"},
    )


@pytest.fixture
def files(tmp_path: Path) -> ApplicantFiles:
    resume = tmp_path / "ada-lovelace.pdf"
    resume.write_bytes(b"%PDF-1.4\n% Ada Lovelace\n%%EOF\n")
    return ApplicantFiles(resume=resume)


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_a_recaptcha_token_from_2captcha_lands_in_the_form_post(
    browser_options: BrowserOptions, solver, fake_twocaptcha, profile, files
):
    async with CaptchaJobSite(captcha="recaptcha") as site, open_browser(browser_options) as browser:
        adapter = await open_application(browser, site.posting_url)
        await adapter.fill(browser, profile, files)
        [captcha] = await detect_captchas(browser)
        assert captcha == Captcha(CaptchaKind.RECAPTCHA_V2, SITEKEY)
        assert not await captcha_solved(browser, captcha)

        assert await solve_with_service(solver, browser, captcha) is None
        assert await captcha_solved(browser, captcha)
        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    [task] = fake_twocaptcha.tasks
    assert task.params["pageurl"] == site.posting_url and task.params["googlekey"] == SITEKEY
    [submission] = site.submissions
    assert submission.fields[TOKEN_FIELD] == task.answer
    assert submission.fields[PASSED_FIELD] == "yes", "the widget's callback ran"


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_an_image_captcha_is_sent_as_a_picture_and_its_text_typed(
    browser_options: BrowserOptions, solver, fake_twocaptcha, profile, files
):
    async with CaptchaJobSite(captcha="image") as site, open_browser(browser_options) as browser:
        adapter = await open_application(browser, site.posting_url)
        await adapter.fill(browser, profile, files)
        [captcha] = await detect_captchas(browser)
        assert captcha.kind is CaptchaKind.IMAGE

        assert await solve_with_service(solver, browser, captcha) is None
        typed = await page_js.evaluate(browser, f"() => document.getElementById('{TEXT_FIELD}').value")
        result = await adapter.submit(browser)

    assert typed == fake_twocaptcha.image_text
    [task] = fake_twocaptcha.tasks
    assert task.method == "base64" and base64.b64encode(task.image)
    picture = Image.open(io.BytesIO(task.image)).convert("RGB")
    assert picture.size == IMAGE_SIZE, "just the image, not the page"
    assert picture.getpixel((IMAGE_SIZE[0] // 2, IMAGE_SIZE[1] // 2)) == IMAGE_COLOUR
    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    assert site.submissions[0].fields[TEXT_FIELD] == fake_twocaptcha.image_text


# --- what the user is shown -------------------------------------------------------------------


def test_a_small_captcha_picture_is_enlarged_for_the_chat_and_a_large_one_kept():
    from automation.captcha import MIN_PICTURE_WIDTH, picture_for_people

    def png(size: tuple[int, int]) -> bytes:
        out = io.BytesIO()
        Image.new("RGB", size, IMAGE_COLOUR).save(out, format="PNG")
        return out.getvalue()

    bigger = Image.open(io.BytesIO(picture_for_people(png(IMAGE_SIZE))))
    assert bigger.width >= MIN_PICTURE_WIDTH and bigger.width / bigger.height == IMAGE_SIZE[0] / IMAGE_SIZE[1]
    assert bigger.convert("RGB").getpixel((10, 10)) == IMAGE_COLOUR
    large = png((600, 200))
    assert picture_for_people(large) == large
    tiny = Image.open(io.BytesIO(picture_for_people(png((20, 10)))))
    assert tiny.size == (80, 40), "enlarged at most four times"


@pytest.mark.parametrize(
    ("why", "detail", "says"),
    [
        (Fallback.NO_KEY, "", "No 2captcha key is set (TWOCAPTCHA_API_KEY)"),
        (Fallback.FAILED, "2captcha could not be reached", "2captcha could not be reached, so"),
        (Fallback.FAILED, "2captcha returned ERROR_ZERO_BALANCE", "2captcha returned ERROR_ZERO_BALANCE, so"),
    ],
)
def test_the_chat_names_the_real_reason(why, detail, says):
    from datetime import datetime

    from automation.captcha import captcha_payload
    from handlers.captcha import captcha_text
    from storage.models import Application, ApplicationStatus, Prompt, PromptKind, PromptStatus

    now = datetime.now(UTC)
    app = Application(
        id=7,
        user_id=1,
        job_id=1,
        url=PAGE,
        canonical_url=PAGE,
        status=ApplicationStatus.WAITING_USER,
        title="Flight Software Engineer",
        created_at=now,
        updated_at=now,
    )
    payload = captcha_payload(7, Captcha(CaptchaKind.IMAGE, None), Help(why, detail), image_shown=True)
    prompt = Prompt(
        id=1,
        application_id=7,
        user_id=1,
        kind=PromptKind.CAPTCHA,
        status=PromptStatus.PENDING,
        payload=payload,
        expires_at=now,
        created_at=now,
    )
    text = captcha_text(app, prompt)
    assert says in text and "Reply to this message with the characters" in text


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_the_captcha_box_is_no_question_of_the_form(browser_options: BrowserOptions, files):
    from automation.captcha import without_captcha_inputs
    from tests.fakes.captcha_site import TEXT_LABEL

    bare = Profile(first_name="Ada", last_name="Lovelace", email="ada@example.org", location="London, UK")
    async with CaptchaJobSite(captcha="image") as site, open_browser(browser_options) as browser:
        adapter = await open_application(browser, site.posting_url)
        await adapter.fill(browser, bare, files)
        read = await adapter.questions(browser)
        kept = await without_captcha_inputs(browser, read)

    assert any(TEXT_LABEL in q.label for q in read), "the reader alone takes the CAPTCHA's box for a question"
    assert not any(TEXT_LABEL in q.label for q in kept)
    assert any(WORK_PERMIT in q.label for q in kept), "the form's real questions stay"
