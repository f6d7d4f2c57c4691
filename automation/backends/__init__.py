"""Automation backends for forms no adapter knows, and choosing one by name.

`make_backend("browser-use", ...)` drives our own Chromium with a browser-use agent;
`make_backend("vibesurf", ...)` hands the form to a VibeSurf service. Both fill without
submitting and submit only when asked, after the user approved the review.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal, get_args

from automation.backends.base import AgentUsage, Asker, BackendError, FormBackend, SubmittedWithoutApproval

if TYPE_CHECKING:
    from browser_use import BrowserSession
    from pydantic import SecretStr

    from automation.backends.agent_adapter import ReadableBackend
    from automation.browser import BrowserOptions

BackendName = Literal["browser-use", "vibesurf"]
BACKEND_NAMES: tuple[str, ...] = get_args(BackendName)

__all__ = [
    "BACKEND_NAMES",
    "AgentUsage",
    "Asker",
    "BackendError",
    "BackendName",
    "FormBackend",
    "SubmittedWithoutApproval",
    "make_backend",
]


def make_backend(
    name: BackendName,
    *,
    browser_options: BrowserOptions | None = None,
    llm_base_url: str | None = None,
    llm_api_key: SecretStr | None = None,
    llm_model: str | None = None,
    max_steps: int | None = None,
    browser: BrowserSession | None = None,
    guard: Callable[[str], Awaitable[object]] | None = None,
    vibesurf_url: str | None = None,
    vibesurf_api_key: SecretStr | None = None,
) -> ReadableBackend:
    """A fresh backend for one application; raises ValueError naming what is missing."""
    if name == "browser-use":
        from automation.backends.browser_use_agent import DEFAULT_MAX_STEPS, BrowserUseBackend

        if browser_options is None or not llm_base_url or not llm_model:
            raise ValueError("The browser-use backend needs browser options, an LLM base URL and a model.")
        if llm_api_key is None or not llm_api_key.get_secret_value():
            raise ValueError("The browser-use backend needs an LLM API key (LLM_API_KEY).")
        return BrowserUseBackend(
            browser_options,
            llm_base_url,
            llm_api_key,
            llm_model,
            max_steps or DEFAULT_MAX_STEPS,
            browser=browser,
            guard=guard,
        )
    if name == "vibesurf":
        from automation.backends.vibesurf import VibeSurfBackend

        if not vibesurf_url or vibesurf_api_key is None:
            raise ValueError("The VibeSurf backend needs the service's URL and API key.")
        return VibeSurfBackend(vibesurf_url, vibesurf_api_key)
    raise ValueError(f"Unknown automation backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}.")
