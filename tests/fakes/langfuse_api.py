"""A fake Langfuse server on loopback: what the Langfuse SDK (v3+) really sends, decoded, and its pytest fixture.

The SDK exports OpenTelemetry spans over OTLP/HTTP, protobuf, gzip-compressed, with HTTP Basic auth
(public key : secret key) to `POST <host>/api/public/otel/v1/traces`. The fake checks the auth, decodes
the body with `opentelemetry.proto` and keeps each span's name and attributes. It also answers
`GET /api/public/health` and `GET /api/public/projects` (what `nyx doctor` asks).

The `fake_langfuse` fixture is enabled for every test by the top-level conftest's `pytest_plugins`.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest_asyncio
from aiohttp import BasicAuth, web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

TRACES_PATH = "/api/public/otel/v1/traces"


@dataclass(frozen=True)
class Span:
    name: str
    trace_id: str
    attributes: dict[str, Any]

    @property
    def metadata(self) -> dict[str, Any]:
        """The trace metadata Langfuse keeps (attributes `langfuse.trace.metadata.<key>`), decoded."""
        prefix = "langfuse.trace.metadata."
        return {k.removeprefix(prefix): _json(v) for k, v in self.attributes.items() if k.startswith(prefix)}


def _json(value: Any) -> Any:
    try:
        return json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return value


def _value(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in any_value.array_value.values]
    return getattr(any_value, kind) if kind else None


class FakeLangfuse:
    def __init__(self) -> None:
        self.public_key = f"pk-lf-test-{secrets.token_hex(4)}"  # new per server: the SDK keeps one client per key
        self.secret_key = f"sk-lf-test-{secrets.token_hex(8)}"
        self.spans: list[Span] = []
        self.refused = 0
        self.encodings: list[str] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(TRACES_PATH, self._traces)
        app.router.add_get("/api/public/health", self._health)
        app.router.add_get("/api/public/projects", self._projects)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # the port the OS chose
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(self, found: Callable[[list[Span]], bool], timeout: float) -> list[Span]:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found(self.spans)), timeout)
        return list(self.spans)

    def _authorised(self, request: web.Request) -> bool:
        try:
            auth = BasicAuth.decode(request.headers.get("Authorization", ""))
        except ValueError:
            return False
        return auth.login == self.public_key and auth.password == self.secret_key

    async def _traces(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            self.refused += 1
            return web.Response(status=401)
        self.encodings.append(request.headers.get("Content-Encoding", "identity"))
        body = await request.read()  # aiohttp undoes the gzip the SDK applies
        export = ExportTraceServiceRequest()
        export.ParseFromString(body)
        spans = [
            Span(span.name, span.trace_id.hex(), {a.key: _value(a.value) for a in span.attributes})
            for resource in export.resource_spans
            for scope in resource.scope_spans
            for span in scope.spans
        ]
        async with self._changed:
            self.spans.extend(spans)
            self._changed.notify_all()
        return web.Response(
            body=ExportTraceServiceResponse().SerializeToString(), content_type="application/x-protobuf"
        )

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "OK", "version": "3.0.0-fake"})

    async def _projects(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"message": "Unauthorized"}, status=401)
        return web.json_response({"data": [{"id": "nyx-test", "name": "nyx"}]})


@pytest_asyncio.fixture
async def fake_langfuse() -> AsyncIterator[FakeLangfuse]:
    server = FakeLangfuse()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
