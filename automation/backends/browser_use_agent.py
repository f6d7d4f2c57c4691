"""The browser-use backend: an LLM agent fills a form no adapter knows, in headed Chromium.

`BrowserUseBackend.fill` opens the form, runs a browser-use `Agent` with the profile (e-mail and
phone only as `sensitive_data` placeholders), the résumé in `available_file_paths` and two custom
actions: `ask_user` (the chat, through the Asker) and `request_review` (ends the run). Then it
reads every field back from the page and takes a full-page screenshot. `submit` clicks the
form's own submit button itself, never through the model, and reports what the page says.

The agent can never send the application itself:
1. every action goes through the agent's tools' `act` (see `_build_tools`), which refuses a click
   on (or Enter while focused on) a submit-like element: a submit input or button, or a button or script link whose
   text says submit / send / apply / finish / complete / confirm;
2. the session's submit guard (automation/submit_guard.py) cancels form submission in every
   frame (`submit` events, which also come from pressing Enter in a field, clicks on a form's
   submit button, `form.submit()` / `requestSubmit()`) until `submit` lifts it;
3. actions that could get round both (running JavaScript, opening other addresses, web search)
   are removed from the agent's tool list;
4. after the run, a page that says "thank you for applying" raises `SubmittedWithoutApproval`.

`recording` keeps what a run did (its `AgentHistoryList`, e-mail and phone as placeholders; the
user's answers; the files' paths) so that `replay` can fill the same form again without the LLM,
through browser-use's `Agent.rerun_history`, behind the same guards (a parked application resumed).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import shutil
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from pydantic import SecretStr

from automation import page_js, submit_guard, tracing
from automation.adapters.base import ApplicantFiles, FilledForm, SubmitResult, UnsupportedForm
from automation.adapters.controls import shown
from automation.adapters.outcome import CONFIRMATION_PATH, CONFIRMATION_PHRASES, SubmitSignals, submit_form
from automation.backends.base import AgentUsage, Asker, BackendError, SubmittedWithoutApproval, reading
from automation.browser import BrowserOptions, configure_offline_environment, open_browser

if TYPE_CHECKING:
    from browser_use import Agent, BrowserSession, Tools
    from browser_use.agent.views import ActionModel, ActionResult, AgentHistoryList
    from browser_use.llm.base import BaseChatModel

    from storage.models import Profile

log = logging.getLogger(__name__)

NAME = "browser-use"
ATS_NAME = "agent:browser-use"
DEFAULT_MAX_STEPS = 40
# How long one question may wait for the user; the Asker may give up sooner (it returns None).
DEFAULT_ASK_TIMEOUT_S = 30 * 60.0
# browser-use's own per-step budget (model call + actions); a question's wait comes on top.
STEP_TIMEOUT_S = 180.0
ASK_ACTION_MARGIN_S = 30.0
MAX_QUESTIONS = 10
LLM_MAX_RETRIES = 2

SECRET_EMAIL = "applicant_email"
SECRET_PHONE = "applicant_phone"

# Running JavaScript could submit the form past every guard; the form is already open, so the
# agent has no reason to go to other addresses or search the web; files stay out of its reach.
EXCLUDED_ACTIONS = ["evaluate", "navigate", "search", "save_as_pdf", "write_file", "replace_file", "read_file"]

SUBMIT_WORDS = r"\b(submit|send|apply|finish|complete|confirm)\b"
ENTER_KEY = re.compile(r"\benter\b|\breturn\b", re.IGNORECASE)

# Is this element (or the button/link it sits in) something that sends the form? Called on the node.
# The structural rule is page_js's one (a submit input, a form's submit button, its label); the
# agent is also kept off buttons and script links whose text says they send, wherever they are.
SUBMIT_LIKE_JS = (
    """
function (submitWords) {
  const wouldSubmit = """
    + page_js.WOULD_SUBMIT_JS.strip()
    + """;
  const start = this.nodeType === 1 ? this : this.parentElement;
  if (!start) return {submit: false, text: ''};
  const control = start.closest('button, input, a, [role="button"]') || start;
  const tag = control.tagName.toLowerCase();
  const type = (control.getAttribute('type') || '').toLowerCase();
  const role = (control.getAttribute('role') || '').toLowerCase();
  const buttonLike = ['button', 'submit', 'image'].includes(type);
  const text = ((tag === 'input' ? (buttonLike ? control.value : '') : control.innerText)
    || control.getAttribute('aria-label') || control.title || '').replace(/\\s+/g, ' ').trim().slice(0, 120);
  const href = tag === 'a' ? (control.getAttribute('href') || '').trim() : '';
  const navigates = href !== '' && !href.startsWith('#') && !/^javascript:/i.test(href);
  let why = wouldSubmit(start);
  if (!why && (tag === 'button' || (tag === 'input' && buttonLike) || role === 'button' || (tag === 'a' && !navigates))
      && text.length <= 80 && new RegExp(submitWords, 'i').test(text)) why = 'button that sends the form';
  return {submit: why !== null, why: why, text: text};
}
"""
)

# browser-use's select_dropdown sets a <select> through its `value` property and fires `change`;
# React (and other frameworks that track the property) then see no change and keep their state
# empty, so the form posts nothing. After the agent's run every chosen option is committed again
# the way a user's pick arrives: the tracked value moved aside, the real one set past the tracker,
# then input/change. A select whose state already held the value gets the same value again.
RECOMMIT_SELECTS_JS = """
() => {
  const nativeSet = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set;
  let committed = 0;
  const visit = (root) => {
    for (const el of root.querySelectorAll('select:not([multiple])')) {
      const chosen = el.value;
      const other = [...el.options].find((o) => o.value !== chosen);
      if (!chosen || !other) continue;
      el.value = other.value;
      nativeSet.call(el, chosen);
      el.dispatchEvent(new Event('input', {bubbles: true}));
      el.dispatchEvent(new Event('change', {bubbles: true}));
      committed += 1;
    }
    for (const host of root.querySelectorAll('*')) if (host.shadowRoot) visit(host.shadowRoot);
  };
  visit(document);
  return committed;
}
"""

_ERRORS = ">>> [role='alert'], .error, .errors, .error-message, .field-error, .invalid-feedback"
_BUSY = "form button[type='submit'][disabled], form input[type='submit'][disabled], form[aria-busy='true']"
# The form's own submit button, looked for in two rounds: first inside <form>s, by a label that
# starts with "Submit" or "Send" (Teamtailor's "Send application", classic Greenhouse's
# `input type=button`); then anywhere, open shadow roots included (Ashby's button outside any
# form, SmartRecruiters' web components), but only by a label that is nothing else than
# "Submit/Send (my/your) application", so that a "Send us feedback" elsewhere is never clicked.
AGENT_SUBMITS = (
    SubmitSignals(
        ats="agent",
        submit_candidates="form button, form input[type='submit'], form input[type='button'], "
        "button[type='submit'], input[type='submit']",
        submit_text=r"^\s*(submit|send)\b",
        errors=_ERRORS,
        busy=_BUSY,
    ),
    SubmitSignals(
        ats="agent",
        submit_candidates=">>> button, input[type='submit'], input[type='button']",
        submit_text=r"^\s*(submit|send)(\s+(my|your))?(\s+application)?\s*$",
        errors=_ERRORS,
        busy=_BUSY,
    ),
)
AGENT_SIGNALS = AGENT_SUBMITS[0]  # errors, busy and confirmation words are the same in both rounds


TASK_RULES = """\
Fill in the job application form that is open in the browser, for the applicant described below.

Rules:
- NEVER submit the application. Do not click "Submit", "Apply", "Send" or any other button that \
sends the form, and do not press Enter to send it. The applicant reviews the filled form and \
submits it personally; clicking such a button is blocked and counts as a failed action.
- When every field you can fill is filled, call request_review. That ends your task.
- Use only the facts below. For any question they do not answer (custom questions; legal, salary \
or availability questions without a saved answer), call ask_user with the question worded \
exactly as the form words it (and its options when the form offers a choice), then put the \
answer in the field. Never invent answers. If the applicant gives no answer, leave the field.
- Voluntary self-identification (gender, ethnicity, veteran status, disability): choose the \
option that declines to answer, unless the saved answers below say otherwise.
- Do not open other websites, create accounts or sign in. If the form needs that, or shows a \
CAPTCHA, call request_review with a note saying so.
- Type the e-mail address and phone number only through their placeholders, exactly as given.
"""


# Replaying recorded steps: no waiting for a model between them, one retry of an element not found yet.
REPLAY_MAX_STEP_INTERVAL_S = 0.5
REPLAY_RETRIES = 2


class _NoSummaryModel:
    """rerun_history asks a model to sum the replay up; a refill makes no LLM call, so this one refuses
    (browser-use then writes its own plain summary)."""

    model = name = model_name = "no-llm-on-replay"
    provider = "none"
    _verified_api_keys = True

    async def ainvoke(self, messages: Any, output_format: Any = None, **kwargs: Any) -> Any:
        raise RuntimeError("no LLM call while replaying a recorded fill")


class _RecordedAsker:
    """On a replay the user's answers are those given during the recorded run."""

    def __init__(self, answers: Mapping[str, str | None]) -> None:
        self._answers = dict(answers)

    async def ask(self, question: str, options: list[str] | None = None) -> str | None:
        return self._answers.get(question)


@dataclass
class _Run:
    """What one fill learned: the user's answers and the agent's closing note."""

    asker: Asker
    answers: dict[str, str | None]
    review_note: str = ""
    review_requested: bool = False
    refused_actions: int = 0


class BrowserUseBackend:
    """Fills a form with a browser-use Agent; see the module docstring for the submit rule."""

    name = NAME

    def __init__(
        self,
        browser_options: BrowserOptions,
        llm_base_url: str,
        llm_api_key: SecretStr,
        llm_model: str,
        max_steps: int = DEFAULT_MAX_STEPS,
        *,
        ask_timeout_s: float = DEFAULT_ASK_TIMEOUT_S,
        use_vision: bool = True,
        browser: BrowserSession | None = None,
        guard: Callable[[str], Awaitable[object]] | None = None,
    ) -> None:
        """`browser`: an already open session to drive instead of opening one (it is then not closed
        here). `guard`: vets the form's address before and after the run, raising to stop."""
        self._options = browser_options
        self._llm_base_url = llm_base_url
        self._llm_api_key = llm_api_key
        self._llm_model = llm_model
        self._max_steps = max_steps
        self._ask_timeout_s = ask_timeout_s
        self._use_vision = use_vision
        self._given_browser = browser
        self._url_guard = guard
        self._stack = AsyncExitStack()
        self._browser: BrowserSession | None = None
        self._guard: submit_guard.SubmitGuard | None = None
        self._filled = False
        self._form_ready = False
        self._submitted = False
        self.usage: AgentUsage | None = None
        self.review_note = ""  # what the agent said when it handed over (e.g. "CAPTCHA on the page")
        self.recording: dict[str, Any] | None = None  # what `replay` needs to fill the form again
        self.blocked_submits = 0  # the agent's submit attempts stopped by the guards

    async def __aenter__(self) -> BrowserUseBackend:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ----------------------------------------------------------------- the FormBackend interface

    async def fill(self, url: str, profile: Profile, files: ApplicantFiles, asker: Asker) -> FilledForm:
        if self._filled:
            raise BackendError("This backend already filled a form; use a new one for the next application.")
        self._filled = True
        browser, here = await self._open_at(url)
        run = _Run(asker=asker, answers={})
        history = await self._run_agent(browser, here, profile, files, run)
        await page_js.evaluate(browser, RECOMMIT_SELECTS_JS)
        self.review_note = run.review_note
        if not run.review_requested:
            finished = history.is_done() and (history.final_result() or "").strip()
            self.review_note = (
                " ".join(str(finished).split())[:500]
                if finished
                else "The agent stopped before it finished (step limit or errors); check every field."
            )
        self.usage = _usage(history)
        blocked = await self._guard.blocked(browser) if self._guard is not None else 0
        self.blocked_submits = run.refused_actions + blocked
        log.info(
            "agent fill of %s: %d steps, %d model calls, %d blocked submit attempts",
            _host(here),
            self.usage.steps,
            self.usage.llm_calls,
            self.blocked_submits,
        )
        if not history.history or all(item.model_output is None for item in history.history):
            raise BackendError(
                "The form-filling agent got no usable answer from the language model; "
                "check LLM_BASE_URL, LLM_API_KEY and LLM_MODEL."
            )

        after = await page_js.current_url(browser)
        if self._url_guard is not None:
            await self._url_guard(after)
        await _refuse_if_submitted(browser, before_url=here)
        self.recording = {
            "history": history.model_dump(sensitive_data=sensitive_data(here, profile)),
            "answers": dict(run.answers),
            "files": _file_paths(files),
        }
        self._filled_with = (profile, files, run.answers)
        form = await self._read_form(browser, profile, files, run.answers)
        self._form_ready = True
        return form

    async def _open_at(self, url: str) -> tuple[BrowserSession, str]:
        """The browser on the form at `url`, every address vetted, the session's submit guard on; and
        where it ended up."""
        browser = await self._open()
        if self._url_guard is not None:
            await self._url_guard(url)
        # A given browser may already show the form (e.g. revealed by an "Apply" button): keep it.
        if _document(await page_js.current_url(browser)) != _document(url):
            await browser.navigate_to(url)
        here = await page_js.current_url(browser)
        if self._url_guard is not None:
            await self._url_guard(here)
        # The session's submit guard (open_browser installs it; a browser given by the caller gets it here).
        self._guard = await submit_guard.guard_browser(browser)
        return browser, here

    async def replay(
        self, url: str, profile: Profile, files: ApplicantFiles, recording: Mapping[str, Any]
    ) -> FilledForm:
        """Fill the form again by replaying a recorded run's actions (browser-use's `rerun_history`): no LLM
        call; the recorded answers stand in for the user; the same submit guards apply."""
        if self._filled:
            raise BackendError("This backend already filled a form; use a new one for the next application.")
        self._filled = True
        browser, here = await self._open_at(url)
        answers = {str(q): (None if a is None else str(a)) for q, a in (recording.get("answers") or {}).items()}
        run = _Run(asker=_RecordedAsker(answers), answers={})
        await self._rerun(browser, here, profile, files, run, _with_files(recording, files))
        await page_js.evaluate(browser, RECOMMIT_SELECTS_JS)
        await _refuse_if_submitted(browser, before_url=here)
        self.recording = dict(recording)
        self._filled_with = (profile, files, answers)
        form = await self._read_form(browser, profile, files, answers)
        self._form_ready = True
        return form

    async def read_back(self) -> FilledForm:
        """The form as it stands now (after corrections), read the same way as after the run."""
        if self._browser is None or not self._form_ready:
            raise BackendError("There is no filled form to read.")
        return await self._read_form(self._browser, *self._filled_with)

    async def submit(self) -> SubmitResult:
        if self._submitted:
            raise BackendError("This form was already submitted once; I will not submit it again.")
        if self._browser is None or not self._form_ready:
            raise BackendError("There is no filled form to submit.")
        self._submitted = True
        for signals in AGENT_SUBMITS:  # submit_form lifts the submit guard right before its click
            with contextlib.suppress(UnsupportedForm):
                return await submit_form(self._browser, signals)
        raise BackendError("I could not find the form's own submit button; open the page and submit it yourself.")

    async def close(self) -> None:
        self._browser = None
        await self._stack.aclose()

    # ----------------------------------------------------------------- the browser

    async def _open(self) -> BrowserSession:
        if self._browser is None:
            if self._given_browser is not None:
                self._browser = self._given_browser
            else:
                self._browser = await self._stack.enter_async_context(open_browser(self._options))
        return self._browser

    # ----------------------------------------------------------------- the agent

    async def _run_agent(
        self, browser: BrowserSession, url: str, profile: Profile, files: ApplicantFiles, run: _Run
    ) -> AgentHistoryList[Any]:
        configure_offline_environment()
        from browser_use import Agent

        tools = _build_tools(run, self._ask_timeout_s)
        uploads = [str(path.resolve()) for path in (files.resume, files.cover_letter) if path is not None]
        async with tracing.agent_chat_model(
            model=self._llm_model,
            base_url=self._llm_base_url,
            api_key=self._llm_api_key.get_secret_value(),
            max_retries=LLM_MAX_RETRIES,
        ) as llm:
            agent: Agent[Any, Any] = Agent(
                task=task_text(profile, files),
                llm=llm,
                browser=browser,
                tools=tools,
                sensitive_data=sensitive_data(url, profile),
                available_file_paths=uploads,
                use_vision=self._use_vision,
                use_judge=False,
                calculate_cost=False,
                directly_open_url=False,
                enable_signal_handler=False,
                generate_gif=False,
                step_timeout=int(STEP_TIMEOUT_S + self._ask_timeout_s + ASK_ACTION_MARGIN_S),
            )
            try:
                return await agent.run(max_steps=self._max_steps)
            finally:
                # Screenshots and notes of the applicant's data: not kept after the run.
                shutil.rmtree(agent.agent_directory, ignore_errors=True)

    async def _rerun(
        self,
        browser: BrowserSession,
        url: str,
        profile: Profile,
        files: ApplicantFiles,
        run: _Run,
        history: dict[str, Any],
    ) -> None:
        configure_offline_environment()
        from browser_use import Agent, ChatOpenAI
        from browser_use.agent.views import AgentHistoryList

        agent: Agent[Any, Any] = Agent(
            task=task_text(profile, files),
            # Never called: the steps come from the recording and the summary model refuses.
            llm=ChatOpenAI(
                model=self._llm_model,
                base_url=self._llm_base_url,
                api_key=self._llm_api_key.get_secret_value(),
                max_retries=0,
            ),
            browser=browser,
            tools=_build_tools(run, self._ask_timeout_s),
            sensitive_data=sensitive_data(url, profile),
            available_file_paths=[str(path.resolve()) for path in (files.resume, files.cover_letter) if path],
            use_vision=False,
            use_judge=False,
            calculate_cost=False,
            directly_open_url=False,
            enable_signal_handler=False,
            generate_gif=False,
        )
        # An `extract` step would ask the model again; it reads the page and changes nothing in the form.
        history["history"] = [
            step
            for step in history.get("history", [])
            if not any("extract" in action for action in ((step.get("model_output") or {}).get("action") or []))
        ]
        # A stand-in for browser-use's model protocol, which also asks for a pydantic schema hook it never uses here.
        no_llm = cast("BaseChatModel", _NoSummaryModel())
        try:
            await agent.rerun_history(
                AgentHistoryList.load_from_dict(history, agent.AgentOutput),
                max_retries=REPLAY_RETRIES,
                skip_failures=True,
                delay_between_actions=0.1,
                max_step_interval=REPLAY_MAX_STEP_INTERVAL_S,
                summary_llm=no_llm,
                ai_step_llm=no_llm,
            )
        finally:
            shutil.rmtree(agent.agent_directory, ignore_errors=True)

    async def _read_form(
        self, browser: BrowserSession, profile: Profile, files: ApplicantFiles, answers: Mapping[str, str | None]
    ) -> FilledForm:
        questions = await page_js.read_questions(browser, "body")
        fields = [
            reading(q.label, q.selector, q.kind, shown(q), q.required, profile, files, answers) for q in questions
        ]
        return FilledForm(
            ats=ATS_NAME,
            url=await page_js.current_url(browser),
            fields=fields,
            screenshot=await browser.take_screenshot(full_page=True),
        )


# --------------------------------------------------------------------------- task and secrets


def sensitive_data(url: str, profile: Profile) -> dict[str, str | dict[str, str]]:
    """The e-mail and phone as placeholders, usable only on the form's own origin."""
    parts = urlsplit(url)
    values = {SECRET_EMAIL: str(profile.email)}
    if profile.phone:
        values[SECRET_PHONE] = profile.phone
    return {f"{parts.scheme}://{parts.hostname}": values}


def task_text(profile: Profile, files: ApplicantFiles) -> str:
    """The agent's instructions and the applicant's facts; e-mail and phone only as placeholders."""
    facts = [
        f"- Name: {profile.full_name} (first name: {profile.first_name}; last name: {profile.last_name})",
        f"- E-mail: <secret>{SECRET_EMAIL}</secret>",
    ]
    if profile.phone:
        facts.append(f"- Phone: <secret>{SECRET_PHONE}</secret>")
    optional: list[tuple[str, Any]] = [
        ("Location", profile.location),
        ("Headline", profile.headline),
        ("Current company", profile.current_company),
        ("Years of experience", profile.years_experience),
        ("Skills", ", ".join(profile.skills) if profile.skills else None),
        ("May work without sponsorship in", ", ".join(profile.work_authorization) or None),
        ("Needs visa sponsorship", _yes_no(profile.needs_sponsorship)),
        ("Salary expectation", profile.salary_expectation),
        ("Notice period", profile.notice_period),
        ("Willing to relocate", _yes_no(profile.willing_to_relocate)),
        ("Remote preference", profile.remote_preference.value if profile.remote_preference else None),
    ]
    facts += [f"- {label}: {value}" for label, value in optional if value not in (None, "")]
    links = {name: value for name, value in profile.links.model_dump().items() if value}
    facts += [f"- {name.capitalize()}: {value}" for name, value in links.items()]
    if files.resume is not None:
        facts.append(f"- Résumé file to upload (upload_file): {files.resume.resolve()}")
    if files.cover_letter is not None:
        facts.append(f"- Cover letter file to upload, if the form asks for one: {files.cover_letter.resolve()}")
    saved = [f"- {question}: {answer}" for question, answer in profile.answers.items()]
    parts = [TASK_RULES, "Applicant:", *facts]
    if saved:
        parts += ["", "Saved answers (question: answer):", *saved]
    return "\n".join(parts)


def _file_paths(files: ApplicantFiles) -> dict[str, str]:
    return {
        name: str(path.resolve())
        for name, path in (("resume", files.resume), ("cover_letter", files.cover_letter))
        if path is not None
    }


def _with_files(recording: Mapping[str, Any], files: ApplicantFiles) -> dict[str, Any]:
    """The recorded history with the files' old paths (a temporary folder gone since) replaced by the new ones."""
    text = json.dumps(recording.get("history") or {"history": []}, ensure_ascii=False)
    now = _file_paths(files)
    for name, old in (recording.get("files") or {}).items():
        if name in now:
            text = text.replace(
                json.dumps(old, ensure_ascii=False)[1:-1], json.dumps(now[name], ensure_ascii=False)[1:-1]
            )
    history: dict[str, Any] = json.loads(text)
    return history


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _host(url: str) -> str:
    return urlsplit(url).hostname or "?"


def _document(url: str) -> str:
    return url.split("#", 1)[0]


# --------------------------------------------------------------------------- tools and guards


def _build_tools(run: _Run, ask_timeout_s: float) -> Tools[Any]:
    """browser-use's tools minus the risky ones, behind the submit guard, plus ask_user and request_review."""
    configure_offline_environment()
    from browser_use import Tools
    from browser_use.agent.views import ActionResult

    class GuardedTools(Tools[Any]):
        async def act(  # forwards whatever else browser-use passes
            self,
            action: ActionModel,
            browser_session: BrowserSession,
            *args: Any,
            action_timeout: float | None = None,
            **kwargs: Any,
        ) -> ActionResult:
            name, params = _name_and_params(action)
            if name == "ask_user":
                action_timeout = ask_timeout_s + ASK_ACTION_MARGIN_S
            refusal = await _refusal(name, params, browser_session)
            if refusal is not None:
                run.refused_actions += 1
                log.warning("agent action refused: %s", refusal)
                return ActionResult(error=refusal)
            return await super().act(action, browser_session, *args, action_timeout=action_timeout, **kwargs)  # type: ignore[misc]

    tools = GuardedTools(exclude_actions=list(EXCLUDED_ACTIONS))

    @tools.action(  # type: ignore[untyped-decorator]  # browser-use's registry decorator has no annotations
        "Ask the applicant a question that the facts you have do not answer. Word it exactly as the "
        "form does; pass the form's options when it offers a choice. Returns the applicant's answer."
    )
    async def ask_user(question: str, options: list[str] | None = None) -> ActionResult:
        question = " ".join(question.split())[:500]
        if not question:
            return ActionResult(error="ask_user needs the question's text.")
        if len(run.answers) >= MAX_QUESTIONS:
            return ActionResult(error=f"You already asked {MAX_QUESTIONS} questions; leave the rest empty.")
        choices = [" ".join(option.split())[:200] for option in options or [] if option.strip()][:20] or None
        try:
            answer = await asyncio.wait_for(run.asker.ask(question, choices), timeout=ask_timeout_s)
        except TimeoutError:
            answer = None
        run.answers[question] = answer
        if answer is None:
            said = f"The applicant did not answer {question!r}; leave that field as it is."
        else:
            said = f"The applicant answered {question!r} with: {answer}"
        return ActionResult(extracted_content=said, long_term_memory=said)

    @tools.action(  # type: ignore[untyped-decorator]  # browser-use's registry decorator has no annotations
        "Hand the filled form to the applicant for review. Call it when every field you can fill is "
        "filled, or when you cannot go on (login, CAPTCHA), with a short note. Ends your task."
    )
    async def request_review(note: str = "") -> ActionResult:
        run.review_requested = True
        run.review_note = " ".join(note.split())[:500]
        return ActionResult(
            is_done=True,
            success=True,
            extracted_content="The form is with the applicant for review.",
            long_term_memory="Handed the form over for review.",
        )

    return tools


def _name_and_params(action: ActionModel) -> tuple[str, dict[str, Any]]:
    for name, params in action.model_dump(exclude_unset=True).items():
        if params is not None:
            return name, params
    return "", {}


async def _refusal(name: str, params: Mapping[str, Any], browser: BrowserSession) -> str | None:
    """Why this action may not run (it would send the form), or None."""
    try:
        if name == "click":
            if params.get("index") is not None:
                verdict = await _verdict_for_index(browser, int(params["index"]))
            elif params.get("coordinate_x") is not None and params.get("coordinate_y") is not None:
                verdict = await _verdict_at(browser, int(params["coordinate_x"]), int(params["coordinate_y"]))
            else:
                return None
        elif name == "send_keys" and ENTER_KEY.search(str(params.get("keys", ""))):
            verdict = await _verdict_for_focus(browser)
        else:
            return None
    except Exception as exc:  # noqa: BLE001 - unsure means no: a submit must never slip through an error
        log.debug("could not check %s action: %s", name, exc)
        return f"This {name} was not done: its target could not be checked. Look at the page again."
    if verdict and verdict.get("submit"):
        text = verdict.get("text") or "that element"
        return (
            f"Blocked: {text!r} would send the application, and only the applicant may submit it. "
            "Fill the remaining fields, then call request_review."
        )
    return None


async def _verdict_for_index(browser: BrowserSession, index: int) -> dict[str, Any] | None:
    node = await browser.get_element_by_index(index)
    if node is None:
        return None  # browser-use itself reports the stale index
    session = await browser.cdp_client_for_node(node)
    resolved = await session.cdp_client.send.DOM.resolveNode(
        params={"backendNodeId": node.backend_node_id}, session_id=session.session_id
    )
    object_id = resolved["object"]["objectId"]
    try:
        result = await session.cdp_client.send.Runtime.callFunctionOn(
            params={
                "functionDeclaration": SUBMIT_LIKE_JS,
                "objectId": object_id,
                "arguments": [{"value": SUBMIT_WORDS}],
                "returnByValue": True,
            },
            session_id=session.session_id,
        )
    finally:
        await session.cdp_client.send.Runtime.releaseObject(
            params={"objectId": object_id}, session_id=session.session_id
        )
    if "exceptionDetails" in result:
        raise page_js.PageScriptError(str(result["exceptionDetails"].get("text", "script failed")))
    verdict: dict[str, Any] | None = result.get("result", {}).get("value")
    return verdict


async def _verdict_at(browser: BrowserSession, x: int, y: int) -> dict[str, Any] | None:
    script = f"(x, y, words) => {{ const el = document.elementFromPoint(x, y); return el ? ({SUBMIT_LIKE_JS}).call(el, words) : null; }}"
    verdict: dict[str, Any] | None = await page_js.evaluate(browser, script, x, y, SUBMIT_WORDS)
    return verdict


async def _verdict_for_focus(browser: BrowserSession) -> dict[str, Any] | None:
    script = f"(words) => ({SUBMIT_LIKE_JS}).call(document.activeElement || document.body, words)"
    verdict: dict[str, Any] | None = await page_js.evaluate(browser, script, SUBMIT_WORDS)
    return verdict


async def _refuse_if_submitted(browser: BrowserSession, before_url: str) -> None:
    """Stop loudly if the page shows a sent application although nobody approved it."""
    state = await page_js.page_state(browser, AGENT_SIGNALS.errors, AGENT_SIGNALS.busy, CONFIRMATION_PHRASES)
    if state is None:
        return
    confirmed_path = CONFIRMATION_PATH.search(urlsplit(state.url).path) and state.url != before_url
    if state.confirmation or confirmed_path:
        raise SubmittedWithoutApproval(
            "The page says the application was sent before you approved it; check your e-mail and the site."
        )


def _usage(history: AgentHistoryList[Any]) -> AgentUsage:
    usage = history.usage
    return AgentUsage(
        steps=history.number_of_steps(),
        llm_calls=usage.entry_count if usage else 0,
        input_tokens=usage.total_prompt_tokens if usage else 0,
        output_tokens=usage.total_completion_tokens if usage else 0,
    )
