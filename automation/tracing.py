"""LLM tracing through Langfuse, on only when LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY and LANGFUSE_HOST are set.

Every LLM call (scoring, the form's questions, the cover letter, the generic agent's steps) becomes a
Langfuse generation; calls made for one application share its trace attributes: session
`application-<id>`, the user's id, and `application_id` in the metadata (`for_application`). LangChain
calls are traced by Langfuse's own callback handler (`run_config`), browser-use's agent calls by a
thin subclass of its chat model (`agent_chat_model`), which sends the model and token counts of each
step but not its screenshots. The SDK exports OpenTelemetry spans over OTLP/HTTP to
`<host>/api/public/otel/v1/traces` from a background thread. Without the settings nothing of Langfuse is
imported and every hook is a no-op.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langfuse import Langfuse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LangfuseConfig:
    """Where traces go: a Langfuse project's keys and its host (cloud or self-hosted)."""

    public_key: str
    secret_key: SecretStr
    host: str


_client: Langfuse | None = None  # the process's Langfuse client while tracing is on
_public_key: str | None = None


def enable(config: LangfuseConfig) -> None:
    """Start tracing for this process (once, at start-up)."""
    global _client, _public_key
    from langfuse import Langfuse
    from opentelemetry.sdk.trace import TracerProvider

    disable()
    # A provider of its own: the SDK would otherwise register itself as the process's global one.
    _client = Langfuse(
        public_key=config.public_key,
        secret_key=config.secret_key.get_secret_value(),
        host=config.host,
        tracer_provider=TracerProvider(),
    )
    _public_key = config.public_key
    log.info("LLM tracing on: Langfuse at %s", config.host)


def disable() -> None:
    """Send what is still buffered and stop tracing (at shutdown)."""
    global _client
    client, _client = _client, None
    if client is not None:
        with contextlib.suppress(Exception):
            client.shutdown()


def enabled() -> bool:
    return _client is not None


def flush() -> None:
    """Send the buffered spans now (tests, short-lived commands)."""
    if _client is not None:
        _client.flush()


@contextlib.contextmanager
def for_application(application_id: int, user_id: int, name: str) -> Iterator[None]:
    """LLM calls made inside the block are traced as the application's (session, user, metadata)."""
    if _client is None:
        yield
        return
    from langfuse import propagate_attributes

    with propagate_attributes(
        session_id=f"application-{application_id}",
        user_id=str(user_id),
        trace_name=name,
        metadata={"application_id": str(application_id)},
        tags=[name],
    ):
        yield


def run_config() -> RunnableConfig:
    """The LangChain run config that traces a call (empty when tracing is off)."""
    if _client is None:
        return {}
    from langfuse.langchain import CallbackHandler

    return {"callbacks": [CallbackHandler(public_key=_public_key)]}


@contextlib.asynccontextmanager
async def agent_chat_model(**options: Any) -> AsyncIterator[Any]:
    """browser-use's ChatOpenAI for one agent run, traced step by step while tracing is on.

    browser-use makes a new AsyncOpenAI client for every step. Each would own a connection pool that
    nobody closes: once the endpoint drops the idle connection, only the garbage collector finds it,
    and the OpenAI SDK then closes it from a task scheduled in `__del__`, by which time its socket's
    descriptor may belong to another connection of this loop (a Bot API call, a PostgreSQL connect),
    which then waits forever. So every step shares one HTTP client of ours, closed when the run ends.
    """
    from browser_use import ChatOpenAI
    from openai import DefaultAsyncHttpxClient

    model_class = _traced_agent_model() if _client is not None else ChatOpenAI
    http_client = DefaultAsyncHttpxClient()
    try:
        yield model_class(http_client=http_client, **options)
    finally:
        await http_client.aclose()


@functools.cache
def _traced_agent_model() -> type:
    from browser_use import ChatOpenAI

    class TracedChatOpenAI(ChatOpenAI):
        async def ainvoke(self, messages: Any, output_format: Any = None, **kwargs: Any) -> Any:
            client = _client
            if client is None:
                return await super().ainvoke(messages, output_format, **kwargs)
            with client.start_as_current_observation(as_type="generation", name="agent step", model=self.model) as gen:
                result = await super().ainvoke(messages, output_format, **kwargs)
                if (usage := getattr(result, "usage", None)) is not None:
                    gen.update(usage_details={"input": usage.prompt_tokens, "output": usage.completion_tokens})
                return result

    return TracedChatOpenAI
