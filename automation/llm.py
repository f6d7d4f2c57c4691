"""The chat model used for scoring and custom questions, and how calls to it are counted.

Owns building a langchain-openai `ChatOpenAI` for any OpenAI-compatible endpoint from plain
values (automation never reads the bot's settings), one structured-output call that validates
what comes back, and `UsageCounter`, which adds up calls and tokens so the worker can record
them per application. Failures become `LLMError` with a one-line reason that never carries the
API key or the model's raw output.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, SecretStr, ValidationError

from automation import tracing
from automation.metrics import count_llm_call
from storage.errors import NyxError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_RETRIES = 2

StructuredMethod = Literal["json_schema", "function_calling"]
Schema = TypeVar("Schema", bound=BaseModel)


class LLMError(NyxError):
    """The model could not be reached or gave no usable answer; the message is one line, fit for a reason."""


@dataclass(frozen=True)
class LLMConfig:
    """Where the OpenAI-compatible endpoint is and how to call it."""

    base_url: str
    api_key: SecretStr | None
    model: str
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES

    @property
    def configured(self) -> bool:
        return self.api_key is not None and bool(self.api_key.get_secret_value())


def make_chat_model(config: LLMConfig) -> ChatOpenAI | None:
    """A chat model for the endpoint, or None when no API key is set (callers then work without an LLM)."""
    if not config.configured:
        return None
    return ChatOpenAI(
        base_url=config.base_url,
        api_key=config.api_key,
        model=config.model,
        timeout=config.timeout_s,
        max_retries=config.max_retries,
        # OpenAI-compatible servers (Grok, local ones) speak Chat Completions, not the Responses API.
        use_responses_api=False,
    )


@dataclass
class UsageCounter:
    """LLM calls and tokens spent, added up across calls (e.g. for one application)."""

    calls: int = 0
    failed_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def record(self, message: BaseMessage | None) -> None:
        """Count one answered call and the tokens its response reports (`usage_metadata`)."""
        self.calls += 1
        usage = getattr(message, "usage_metadata", None) or {}
        input_tokens, output_tokens = int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        count_llm_call(ok=True, input_tokens=input_tokens, output_tokens=output_tokens)

    def record_failure(self) -> None:
        """Count a call that got no response (network error, HTTP error after retries)."""
        self.calls += 1
        self.failed_calls += 1
        count_llm_call(ok=False)


async def ask_structured(
    model: BaseChatModel,
    schema: type[Schema],
    messages: Sequence[BaseMessage],
    *,
    usage: UsageCounter | None = None,
    method: StructuredMethod = "json_schema",
) -> Schema:
    """One call that must answer with `schema`; raises `LLMError` on any failure or invalid output.

    With json_schema the schema goes out as a plain strict JSON schema rather than the pydantic
    class, so that malformed output still comes back with its raw message (and its token counts)
    instead of failing inside the OpenAI client.
    """
    usage = usage if usage is not None else UsageCounter()
    target: Any = schema if method == "function_calling" else _response_format(schema)
    runnable = model.with_structured_output(target, method=method, include_raw=True)
    try:
        answer = await runnable.ainvoke(list(messages), config=tracing.run_config() or None)
    except openai.APIStatusError as exc:
        usage.record_failure()
        raise LLMError(f"the LLM endpoint answered HTTP {exc.status_code}") from None
    except (openai.APITimeoutError, openai.APIConnectionError) as exc:
        usage.record_failure()
        raise LLMError(f"the LLM endpoint could not be reached ({type(exc).__name__})") from None
    except openai.OpenAIError as exc:
        usage.record_failure()
        raise LLMError(f"the LLM call failed ({type(exc).__name__})") from None
    result = cast("dict[str, Any]", answer)  # include_raw=True: always {"raw", "parsed", "parsing_error"}
    usage.record(result.get("raw"))
    return _validated(schema, result)


def _validated(schema: type[Schema], result: dict[str, Any]) -> Schema:
    if result.get("parsing_error") is not None:
        log.info("LLM output unparseable: %s", type(result["parsing_error"]).__name__)
        raise LLMError("the LLM answered with something that is not the expected JSON")
    parsed = result.get("parsed")
    if parsed is None:
        raise LLMError("the LLM gave no structured answer")
    try:
        return schema.model_validate(parsed)
    except ValidationError as exc:
        log.info("LLM output does not fit %s: %s", schema.__name__, exc)
        raise LLMError("the LLM's answer does not have the expected fields") from None


def _response_format(schema: type[BaseModel]) -> dict[str, Any]:
    return {"name": schema.__name__, "schema": strict_json_schema(schema), "strict": True}


def strict_json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema in the form OpenAI's strict structured outputs accept.

    Every object lists all its properties as required and allows no others; `default` and
    `title` keys (which strict mode rejects or ignores) are dropped.
    """
    strict: dict[str, Any] = _strict(copy.deepcopy(schema.model_json_schema()))
    return strict


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node.pop("default", None)
    node.pop("title", None)
    if node.get("type") == "object" or "properties" in node:
        properties = node.get("properties", {})
        node["required"] = list(properties)
        node["additionalProperties"] = False
        node["properties"] = {name: _strict(value) for name, value in properties.items()}
    for key in ("items", "anyOf", "$defs", "allOf"):
        if key in node:
            value = node[key]
            node[key] = {k: _strict(v) for k, v in value.items()} if key == "$defs" else _strict(value)
    return node
