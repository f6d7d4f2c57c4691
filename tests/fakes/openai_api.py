"""A fake OpenAI-compatible Chat Completions server for tests, and its pytest fixture.

Owns an aiohttp.web server on 127.0.0.1 that speaks the parts of OpenAI's HTTP protocol an
OpenAI-compatible client uses: `POST /v1/chat/completions` (plain replies, structured output
through `response_format` json_schema / json_object, function calling through `tools` and
`tool_choice`, streaming as server-sent events) and `GET /v1/models`. Code under test reaches it
through the same base-URL and API-key settings a user sets (`LLM_BASE_URL=fake.base_url`), so
langchain-openai's `ChatOpenAI` and browser-use's own `ChatOpenAI` both talk real HTTP to it.

Tests decide what the "model" says:

- `fake.queue(reply, ...)`: canned replies, used first, one per request, in order;
- `fake.script(lambda body: ...)`: called with the request's JSON when the queue is empty;
- `fake.fail_next(status=500, times=1)`: answer the next requests with an OpenAI error.

A reply may be a `dict` (structured output: sent as the forced tool call's arguments when the
request forces a tool, otherwise as JSON content), a `str` (plain content), a `Reply` (full
control), a `Failure` (an HTTP error) or `InvalidJSON` (malformed text where JSON was expected).
Every completion request is recorded in `fake.requests` with the status the fake answered, so
tests can count calls and read prompts. Usage token counts are estimated the way tiktoken
roughly counts (about four characters a token, plus per-message overhead): realistic, stable.
Images are not counted unless `FakeOpenAI(count_images=True)`, which bills each one the way
OpenAI's vision models do (the benches use it: browser-use sends a screenshot every step).

Enable the `fake_openai` fixture with `pytest_plugins = ["tests.fakes.openai_api"]` or
`pytest -p tests.fakes.openai_api`.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio
from aiohttp import web

JsonObject = dict[str, Any]

DEFAULT_MODEL = "fake-model"
# Overheads tiktoken's cookbook uses for chat models: per message, and to prime the reply.
TOKENS_PER_MESSAGE = 3
TOKENS_REPLY_PRIMER = 3
CHARS_PER_TOKEN = 4
STREAM_PIECE_CHARS = 16


# --------------------------------------------------------------------------- replies


@dataclass(frozen=True)
class ToolCall:
    """A function call the model makes; `arguments` is the JSON text as the model wrote it."""

    name: str
    arguments: str


@dataclass(frozen=True)
class Reply:
    """The assistant message to send back, exactly."""

    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None  # default: "tool_calls" with tool calls, else "stop"
    refusal: str | None = None

    @property
    def final_reason(self) -> str:
        return self.finish_reason or ("tool_calls" if self.tool_calls else "stop")


@dataclass(frozen=True)
class Failure:
    """Answer with an OpenAI-shaped error instead of a completion."""

    status: int = 500
    message: str = "The server had an error while processing your request. Sorry about that!"
    retry_after: float | None = None  # sent as the Retry-After header (429s)

    @property
    def error_type(self) -> str:
        if self.status == 429:
            return "rate_limit_exceeded"
        return "server_error" if self.status >= 500 else "invalid_request_error"


@dataclass(frozen=True)
class InvalidJSON:
    """Malformed text where structured output was expected (content, or the forced tool's arguments)."""

    text: str = '{"answer": "unterminated'


Scripted = JsonObject | str | Reply | Failure | InvalidJSON
Script = Callable[[JsonObject], Scripted]


# --------------------------------------------------------------------------- records


@dataclass
class ChatRequest:
    """One `POST /v1/chat/completions` the client made, and what the fake answered."""

    body: JsonObject
    authorization: str | None
    status: int = 200
    response: JsonObject | None = None  # the completion (or error) sent back; streams: the assembled completion
    at: float = field(default_factory=time.monotonic)

    @property
    def messages(self) -> list[JsonObject]:
        return list(self.body.get("messages") or [])

    @property
    def prompt(self) -> str:
        """Every message's text, in order, one per line: what the model was told."""
        return "\n".join(_message_text(message) for message in self.messages)

    @property
    def structured_output(self) -> str | None:
        """How the client asked for structured output: json_schema, json_object, function_calling or None."""
        if _forced_tool(self.body):
            return "function_calling"
        response_format = self.body.get("response_format") or {}
        return response_format.get("type") if response_format.get("type") != "text" else None

    @property
    def schema(self) -> JsonObject | None:
        """The JSON schema the structured output must follow, whichever way it was asked for."""
        tool = _forced_tool(self.body)
        if tool is not None:
            return _tool_named(self.body, tool).get("parameters")
        json_schema = (self.body.get("response_format") or {}).get("json_schema") or {}
        return json_schema.get("schema")


# --------------------------------------------------------------------------- the server


class FakeOpenAI:
    """A local OpenAI-compatible server with scripted answers; see the module docstring."""

    def __init__(
        self, *, api_key: str | None = None, models: tuple[str, ...] = (DEFAULT_MODEL,), count_images: bool = False
    ) -> None:
        self.api_key = api_key or f"sk-fake-{secrets.token_hex(12)}"
        self.models = models
        self.count_images = count_images  # also bill image parts, as OpenAI's vision models do (see _image_tokens)
        self.requests: list[ChatRequest] = []
        self.base_url = ""  # "http://127.0.0.1:<port>/v1" once started
        self._queue: deque[Scripted] = deque()
        self._script: Script | None = None
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    # ----------------------------------------------------------------- scripting

    def script(self, responder: Script | None) -> None:
        """Answer each request (once the queue is empty) with `responder(request_json)`."""
        self._script = responder

    def queue(self, *replies: Scripted) -> None:
        """Answer the next requests with these replies, one each, in order."""
        self._queue.extend(replies)

    def fail_next(
        self, status: int = 500, *, times: int = 1, message: str | None = None, retry_after: float | None = None
    ) -> None:
        """Answer the next `times` requests with an HTTP error (500, 429, ...)."""
        failure = Failure(status, message or Failure.message, retry_after)
        self._queue.extend([failure] * times)

    @property
    def completions(self) -> list[ChatRequest]:
        """The requests answered with a completion (status 200)."""
        return [request for request in self.requests if request.status == 200]

    # ----------------------------------------------------------------- life cycle

    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._handle_completion)
        app.router.add_get("/v1/models", self._handle_models)
        app.router.add_get("/v1/models/{model}", self._handle_model)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}/v1"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeOpenAI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ----------------------------------------------------------------- handlers

    async def _handle_models(self, request: web.Request) -> web.Response:
        if (refusal := self._refuse_key(request.headers.get("Authorization"))) is not None:
            return refusal
        data = [self._model_object(name) for name in self.models]
        return web.json_response({"object": "list", "data": data})

    async def _handle_model(self, request: web.Request) -> web.Response:
        if (refusal := self._refuse_key(request.headers.get("Authorization"))) is not None:
            return refusal
        name = request.match_info["model"]
        if name not in self.models:
            return _error(
                404,
                f"The model `{name}` does not exist or you do not have access to it.",
                "invalid_request_error",
                code="model_not_found",
            )
        return web.json_response(self._model_object(name))

    async def _handle_completion(self, request: web.Request) -> web.StreamResponse:
        authorization = request.headers.get("Authorization")
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        recorded = ChatRequest(body if isinstance(body, dict) else {}, authorization)
        self.requests.append(recorded)
        response = self._refuse_key(authorization) or _refuse_body(body)
        if response is None:
            reply = self._next_reply(recorded.body)
            if isinstance(reply, Failure):
                response = _failure_response(reply)
            else:
                completion = self._completion(recorded.body, _as_reply(reply, recorded.body))
                recorded.response = completion
                if recorded.body.get("stream"):
                    return await self._stream(request, recorded.body, completion)
                return web.json_response(completion, headers=_request_id_header())
        recorded.status = response.status
        recorded.response = json.loads(response.text or "null")
        return response

    def _refuse_key(self, authorization: str | None) -> web.Response | None:
        if not authorization or not authorization.startswith("Bearer "):
            return _error(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                "invalid_request_error",
            )
        given = authorization.removeprefix("Bearer ").strip()
        if not secrets.compare_digest(given, self.api_key):
            shown = f"{given[:3]}***{given[-4:]}" if len(given) > 8 else "***"
            return _error(401, f"Incorrect API key provided: {shown}.", "invalid_request_error", code="invalid_api_key")
        return None

    def _next_reply(self, body: JsonObject) -> Scripted:
        if self._queue:
            return self._queue.popleft()
        if self._script is not None:
            return self._script(body)
        return Failure(400, "FakeOpenAI has no scripted reply for this request: call fake.queue() or fake.script().")

    # ----------------------------------------------------------------- completions

    def _completion(self, body: JsonObject, reply: Reply) -> JsonObject:
        message: JsonObject = {
            "role": "assistant",
            "content": reply.content,
            "refusal": reply.refusal,
            "annotations": [],
        }
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": f"call_{secrets.token_hex(12)}",
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in reply.tool_calls
            ]
        prompt_tokens = _prompt_tokens(body) + (_image_tokens(body) if self.count_images else 0)
        completion_tokens = _reply_tokens(reply)
        return {
            "id": f"chatcmpl-fake{next(self._ids):06d}{secrets.token_hex(6)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or DEFAULT_MODEL,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": reply.final_reason}],
            "usage": _usage(prompt_tokens, completion_tokens),
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }

    async def _stream(self, request: web.Request, body: JsonObject, completion: JsonObject) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **_request_id_header()}
        )
        await response.prepare(request)
        for chunk in _stream_chunks(
            completion, include_usage=bool((body.get("stream_options") or {}).get("include_usage"))
        ):
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    def _model_object(self, name: str) -> JsonObject:
        return {"id": name, "object": "model", "created": 1_700_000_000, "owned_by": "fake-openai"}


# --------------------------------------------------------------------------- request reading


def _refuse_body(body: object) -> web.Response | None:
    if not isinstance(body, dict):
        return _error(
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means you "
            "aren't using your HTTP library correctly.)",
            "invalid_request_error",
        )
    if not isinstance(body.get("model"), str) or not body["model"]:
        return _error(400, "you must provide a model parameter", "invalid_request_error")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return _error(
            400,
            "Missing required parameter: 'messages'.",
            "invalid_request_error",
            param="messages",
            code="missing_required_parameter",
        )
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in {
            "system",
            "developer",
            "user",
            "assistant",
            "tool",
        }:
            return _error(
                400,
                f"Invalid value for 'messages[{index}].role'.",
                "invalid_request_error",
                param=f"messages[{index}].role",
                code="invalid_value",
            )
    return None


def _message_text(message: JsonObject) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: keep the text ones
        return "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _forced_tool(body: JsonObject) -> str | None:
    """The function the request forces the model to call, if any."""
    choice = body.get("tool_choice")
    tools = [tool for tool in body.get("tools") or [] if tool.get("type") == "function"]
    if isinstance(choice, dict):
        return (choice.get("function") or {}).get("name")
    if choice == "required" and len(tools) == 1:
        return tools[0]["function"]["name"]
    return None


def _tool_named(body: JsonObject, name: str) -> JsonObject:
    for tool in body.get("tools") or []:
        if (tool.get("function") or {}).get("name") == name:
            return tool["function"]
    return {}


def _as_reply(scripted: Scripted, body: JsonObject) -> Reply:
    """Put a scripted answer where this request expects it."""
    if isinstance(scripted, Reply):
        return scripted
    if isinstance(scripted, str):
        return Reply(content=scripted)
    text = scripted.text if isinstance(scripted, InvalidJSON) else json.dumps(scripted)
    tool = _forced_tool(body)
    if tool is not None:
        return Reply(tool_calls=(ToolCall(tool, text),))
    return Reply(content=text)


# --------------------------------------------------------------------------- token counting


def _tokens(text: str | None) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def _prompt_tokens(body: JsonObject) -> int:
    total = TOKENS_REPLY_PRIMER
    for message in body.get("messages") or []:
        total += TOKENS_PER_MESSAGE + _tokens(_message_text(message)) + _tokens(message.get("name"))
    # Tool and schema definitions are part of the prompt the model reads.
    total += _tokens(json.dumps(body["tools"])) if body.get("tools") else 0
    total += _tokens(json.dumps(body["response_format"])) if body.get("response_format") else 0
    return total


def _image_tokens(body: JsonObject) -> int:
    """Image parts priced the way OpenAI's GPT-4o family bills them: 85 a picture at detail "low",
    else scaled into 2048x2048, then its short side to 768, and 85 + 170 per 512-pixel tile."""
    total = 0
    for message in body.get("messages") or []:
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            if not isinstance(part, dict) or part.get("type") != "image_url":
                continue
            image = part.get("image_url") or {}
            size = _png_size(str(image.get("url", "")))
            if image.get("detail") == "low" or size is None:
                total += 85 if image.get("detail") == "low" else 765
                continue
            width, height = float(size[0]), float(size[1])
            scale = min(1.0, 2048 / max(width, height))
            width, height = width * scale, height * scale
            scale = min(1.0, 768 / min(width, height))
            width, height = width * scale, height * scale
            total += 85 + 170 * math.ceil(width / 512) * math.ceil(height / 512)
    return total


def _png_size(url: str) -> tuple[int, int] | None:
    """Width and height of a base64 PNG data URL, from its IHDR header."""
    prefix = "data:image/png;base64,"
    if not url.startswith(prefix):
        return None
    try:
        header = base64.b64decode(url[len(prefix) : len(prefix) + 44])
    except ValueError:
        return None
    if len(header) < 24 or header[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def _reply_tokens(reply: Reply) -> int:
    total = _tokens(reply.content) + _tokens(reply.refusal)
    for call in reply.tool_calls:
        total += TOKENS_PER_MESSAGE + _tokens(call.name) + _tokens(call.arguments)
    return max(total, 1)


def _usage(prompt_tokens: int, completion_tokens: int) -> JsonObject:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


# --------------------------------------------------------------------------- responses


def _error(
    status: int,
    message: str,
    error_type: str,
    *,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    payload = {"error": {"message": message, "type": error_type, "param": param, "code": code}}
    return web.json_response(payload, status=status, headers={**_request_id_header(), **(headers or {})})


def _failure_response(failure: Failure) -> web.Response:
    headers = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after is not None else None
    return _error(failure.status, failure.message, failure.error_type, code=failure.error_type, headers=headers)


def _request_id_header() -> dict[str, str]:
    return {"x-request-id": f"req_{secrets.token_hex(16)}", "openai-processing-ms": "1"}


def _pieces(text: str) -> list[str]:
    return [text[start : start + STREAM_PIECE_CHARS] for start in range(0, len(text), STREAM_PIECE_CHARS)]


def _stream_chunks(completion: JsonObject, *, include_usage: bool) -> list[JsonObject]:
    """The completion as `chat.completion.chunk` objects, the way OpenAI streams it."""
    message = completion["choices"][0]["message"]

    def chunk(delta: JsonObject, finish_reason: str | None = None) -> JsonObject:
        return {
            "id": completion["id"],
            "object": "chat.completion.chunk",
            "created": completion["created"],
            "model": completion["model"],
            "system_fingerprint": completion["system_fingerprint"],
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
            **({"usage": None} if include_usage else {}),
        }

    chunks = [chunk({"role": "assistant", "content": "" if message["content"] is not None else None, "refusal": None})]
    chunks += [chunk({"content": piece}) for piece in _pieces(message["content"] or "")]
    for index, call in enumerate(message.get("tool_calls") or []):
        start = {
            "index": index,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        chunks.append(chunk({"tool_calls": [start]}))
        chunks += [
            chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            for piece in _pieces(call["function"]["arguments"])
        ]
    chunks.append(chunk({}, completion["choices"][0]["finish_reason"]))
    if include_usage:
        chunks.append({**chunk({}), "choices": [], "usage": completion["usage"]})
    return chunks


# --------------------------------------------------------------------------- pytest fixture


@pytest_asyncio.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    """A running fake OpenAI-compatible server on a free local port, fresh for each test."""
    fake = FakeOpenAI()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
