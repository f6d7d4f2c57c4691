"""The generic agent seen through the adapter interface, so the apply task treats an unknown site
like a known ATS: fill, questions, corrections, review, submit once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, cast

from automation import page_js
from automation.adapters.base import ApplicantFiles, FilledForm, FillSource, FormAdapter, SubmitResult
from automation.backends.base import AgentUsage, Asker, FormBackend
from automation.backends.browser_use_agent import ATS_NAME
from automation.metrics import LLM_CALLS, LLM_TOKENS
from automation.questions import Question

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from automation.apply import AgentConfig
    from automation.browser import BrowserOptions
    from storage.models import Profile


class ReadableBackend(FormBackend, Protocol):
    """A backend whose form can be read again after corrections, and which says what its fill cost."""

    usage: AgentUsage | None

    async def read_back(self) -> FilledForm: ...


class RecordingBackend(ReadableBackend, Protocol):
    """A backend that records its run and can replay it without the LLM (browser-use; not VibeSurf)."""

    recording: dict[str, Any] | None

    async def replay(
        self, url: str, profile: Profile, files: ApplicantFiles, recording: Mapping[str, Any]
    ) -> FilledForm: ...


class AgentFormAdapter(FormAdapter):
    """Never detected from a page: the apply task chooses it when no adapter knows the form."""

    name = ATS_NAME

    def __init__(
        self, backend: ReadableBackend, asker: Asker, on_usage: Callable[[int, int, int], Awaitable[None]]
    ) -> None:
        self._backend = backend
        self._asker = asker
        self._on_usage = on_usage

    async def fill(self, browser: BrowserSession, profile: Profile, files: ApplicantFiles) -> FilledForm:
        try:
            return self._attributed(
                await self._backend.fill(await page_js.current_url(browser), profile, files, self._asker)
            )
        finally:
            if (usage := self._backend.usage) is not None:
                LLM_CALLS.labels("ok").inc(usage.llm_calls)
                LLM_TOKENS.labels("input").inc(usage.input_tokens)
                LLM_TOKENS.labels("output").inc(usage.output_tokens)
                await self._on_usage(usage.llm_calls, usage.input_tokens, usage.output_tokens)

    @property
    def recording(self) -> dict[str, Any] | None:
        """What `replay` needs to fill the same form again without the LLM (after `fill`)."""
        recording: dict[str, Any] | None = getattr(self._backend, "recording", None)  # VibeSurf records nothing
        return recording

    async def replay(
        self, browser: BrowserSession, profile: Profile, files: ApplicantFiles, recording: Mapping[str, Any]
    ) -> FilledForm:
        """Fill the form again from a recorded run: its actions replayed, no LLM call."""
        backend = cast(RecordingBackend, self._backend)  # only a recorded run (browser-use's) is replayed
        return self._attributed(await backend.replay(await page_js.current_url(browser), profile, files, recording))

    async def questions(self, browser: BrowserSession) -> list[Question]:
        return []  # the agent asked what it could not answer while it worked

    async def answer(self, browser: BrowserSession, answers: Mapping[str, str]) -> None:
        for selector, value in answers.items():
            await page_js.set_value(browser, selector, value)

    async def read_back(self, browser: BrowserSession) -> FilledForm:
        return self._attributed(await self._backend.read_back())

    def _attributed(self, form: FilledForm) -> FilledForm:
        """Each filled field's step: the one noted for it (the steps before the agent took over), else the agent."""
        noted: Mapping[str, FillSource] = getattr(self, "noted_sources", {})
        for field in form.fields:
            if field.source is None and not field.empty:
                field.source = noted.get(field.selector, FillSource.AGENT)
        return form

    async def submit(self, browser: BrowserSession) -> SubmitResult:
        return await self._backend.submit()

    async def close(self) -> None:
        """Releases the backend: a VibeSurf task not finished is stopped, its HTTP session closed."""
        await self._backend.close()


def agent_form_adapter(
    config: AgentConfig,
    browser_options: BrowserOptions,
    browser: BrowserSession,
    guard: Callable[[str], Awaitable[Any]],
    asker: Asker,
    on_usage: Callable[[int, int, int], Awaitable[None]],
) -> AgentFormAdapter:
    """The configured agent (FALLBACK_BACKEND) driving `browser`, as an adapter."""
    from automation.backends import make_backend

    backend = make_backend(
        config.backend,
        browser_options=browser_options,
        llm_base_url=config.llm_base_url,
        llm_api_key=config.llm_api_key,
        llm_model=config.llm_model,
        max_steps=config.max_steps,
        browser=browser,
        guard=guard,
        vibesurf_url=config.vibesurf_url,
        vibesurf_api_key=config.vibesurf_api_key,
    )
    return AgentFormAdapter(backend, asker, on_usage)
