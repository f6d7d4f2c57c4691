"""The browser's egress proxy: what it forwards, what it refuses before connecting, and real Chromium behind it.

Unit tests talk to the proxy over real loopback sockets. Its connector is wrapped so every outbound
connection is recorded, and a test that must not connect anywhere gets a connector that only records.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from aiohttp import web

from automation.browser import BrowserOptions, open_browser
from automation.egress import EgressProxy, open_tcp

WAIT = 20.0  # seconds an event may take before the test gives up


@dataclass
class Upstream:
    """A local server standing in for a web site: records each request it got, raw."""

    port: int = 0
    requests: list[bytes] = field(default_factory=list)
    received: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)


async def _serve(handler: Callable) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


@pytest_asyncio.fixture
async def echo() -> AsyncIterator[Upstream]:
    """Answers each line with `pong <line>`, as a TLS server behind a tunnel would answer records."""
    upstream = Upstream()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            await upstream.received.put(line)
            writer.write(b"pong " + line)
            await writer.drain()
        writer.close()

    server, upstream.port = await _serve(handle)
    async with server:
        yield upstream


@pytest_asyncio.fixture
async def http_site() -> AsyncIterator[Upstream]:
    """A plain HTTP/1.1 server that reads a Content-Length body, answers keep-alive and records the raw request."""
    upstream = Upstream()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
        )
        body = await reader.readexactly(length)
        upstream.requests.append(head + body)
        reply = b"got " + body
        writer.write(
            b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(reply), reply)
        )
        await writer.drain()
        writer.close()

    server, upstream.port = await _serve(handle)
    async with server:
        yield upstream


class Connections:
    """The proxy's connector, recorded: `through` also connects (to loopback only), else it only records."""

    def __init__(self, *, through: dict[tuple[str, int], int] | None = None) -> None:
        self.attempts: list[tuple[str, int]] = []
        self._through = through

    async def __call__(self, address: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self.attempts.append((address, port))
        if self._through is None:
            raise OSError("this test makes no outbound connections")
        local_port = self._through.get((address, port), port if address == "127.0.0.1" else None)
        if local_port is None:
            raise OSError(f"{address}:{port} is not a local test server")
        return await open_tcp("127.0.0.1", local_port)


class Resolver:
    """Answers from a script, one answer per lookup (the last repeats); records what was looked up."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


async def _exchange(proxy: EgressProxy, request: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    """Send `request` to the proxy; returns the connection and the response head."""
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(request)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    return reader, writer, head


async def _whole_response(proxy: EgressProxy, request: bytes) -> bytes:
    reader, writer, head = await _exchange(proxy, request)
    body = await asyncio.wait_for(reader.read(), WAIT)
    writer.close()
    return head + body


# ------------------------------------------------------------------------------------ forwarding


async def test_connect_to_an_allowed_local_server_relays_both_ways(echo: Upstream) -> None:
    connections = Connections(through={})
    async with EgressProxy(allow_hosts=["127.0.0.1"], connector=connections) as proxy:
        reader, writer, head = await _exchange(proxy, f"CONNECT 127.0.0.1:{echo.port} HTTP/1.1\r\n\r\n".encode())
        assert head.startswith(b"HTTP/1.1 200 ")
        for line in (b"client hello\n", b"more\n"):
            writer.write(line)
            assert await asyncio.wait_for(reader.readline(), WAIT) == b"pong " + line
        writer.close()

    assert connections.attempts == [("127.0.0.1", echo.port)]
    assert proxy.refusals == []


async def test_absolute_form_post_goes_out_in_origin_form_with_its_body(http_site: Upstream) -> None:
    resolver = Resolver(["127.0.0.1"])
    async with EgressProxy(allow_hosts=["LocalHost"], resolver=resolver) as proxy:
        body = b"first_name=Ada&last_name=Lovelace"
        response = await _whole_response(
            proxy,
            (
                f"POST http://localhost:{http_site.port}/apply?job=42 HTTP/1.1\r\n"
                f"Host: localhost:{http_site.port}\r\nProxy-Connection: keep-alive\r\n"
                "Proxy-Authorization: Basic c2VjcmV0\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body,
        )

    [request] = http_site.requests
    head, _, received = request.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /apply?job=42 HTTP/1.1"
    assert f"Host: localhost:{http_site.port}" in lines and "Connection: close" in lines
    assert not any(line.lower().startswith("proxy-") for line in lines)
    assert received == body
    # The site's keep-alive does not reach the browser: one request per connection to the proxy.
    assert response.startswith(b"HTTP/1.1 200 OK\r\n") and response.endswith(b"\r\n\r\ngot " + body)
    assert b"Connection: close" in response and b"keep-alive" not in response.lower()
    assert resolver.lookups == ["localhost"]


async def test_a_websocket_upgrade_keeps_its_connection_open() -> None:
    upgraded: asyncio.Queue[bytes] = asyncio.Queue()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await upgraded.put(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
        while frame := await reader.readline():
            writer.write(b"echo " + frame)
        writer.close()

    server, port = await _serve(handle)
    async with server, EgressProxy(allow_hosts=["127.0.0.1"]) as proxy:
        reader, writer, head = await _exchange(
            proxy,
            (
                f"GET http://127.0.0.1:{port}/live HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode(),
        )
        assert head.startswith(b"HTTP/1.1 101 ") and b"Connection: Upgrade" in head
        writer.write(b"frame one\n")
        assert await asyncio.wait_for(reader.readline(), WAIT) == b"echo frame one\n"
        writer.close()

    request = (await upgraded.get()).decode()
    assert request.startswith("GET /live HTTP/1.1\r\n")
    assert "Upgrade: websocket\r\n" in request and "Connection: Upgrade\r\n" in request


# ------------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("10.0.0.7", "a private or reserved address"),
        ("169.254.169.254", "a link-local or cloud-metadata address"),
        ("127.0.0.1", "a loopback address"),
    ],
)
@pytest.mark.parametrize("form", ["CONNECT", "absolute"])
async def test_a_name_resolving_to_a_private_address_is_refused_before_connecting(
    answer: str, reason: str, form: str
) -> None:
    connections = Connections()
    resolver = Resolver(["93.184.216.34", answer])  # one public answer does not let the private one pass
    port = 443 if form == "CONNECT" else 80
    request = (
        f"CONNECT jobs.example.com:{port} HTTP/1.1\r\n\r\n"
        if form == "CONNECT"
        else "GET http://jobs.example.com/careers HTTP/1.1\r\nHost: jobs.example.com\r\n\r\n"
    )
    async with EgressProxy(allow_hosts=["localhost"], resolver=resolver, connector=connections) as proxy:
        response = await _whole_response(proxy, request.encode())

    assert response.startswith(b"HTTP/1.1 403 Forbidden\r\n")
    assert reason in response.decode()
    assert [(r.host, r.port) for r in proxy.refusals] == [("jobs.example.com", port)]
    assert reason in proxy.refusals[0].reason
    assert connections.attempts == []


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("169.254.169.254:80", "link-local or cloud-metadata"),
        ("10.1.2.3:443", "private or reserved"),
        ("[::1]:443", "loopback"),
        ("[::ffff:127.0.0.1]:443", "loopback"),
        ("93.184.216.34:6379", "not a web port"),
    ],
)
async def test_address_literals_and_other_ports_are_refused_without_a_lookup(target: str, reason: str) -> None:
    connections, resolver = Connections(), Resolver(["93.184.216.34"])
    async with EgressProxy(resolver=resolver, connector=connections) as proxy:
        response = await _whole_response(proxy, f"CONNECT {target} HTTP/1.1\r\n\r\n".encode())

    assert response.startswith(b"HTTP/1.1 403 ") and reason in response.decode()
    assert len(proxy.refusals) == 1 and reason in proxy.refusals[0].reason
    assert connections.attempts == [] and resolver.lookups == []


async def test_loopback_is_refused_unless_allowed(http_site: Upstream) -> None:
    connections = Connections(through={})
    request = f"GET http://127.0.0.1:{http_site.port}/ HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    async with EgressProxy(connector=connections) as strict:
        refused = await _whole_response(strict, request)
    async with EgressProxy(allow_hosts=["127.0.0.1"], connector=connections) as allowing:
        allowed = await _whole_response(allowing, request)

    # Refused for its port before its address matters: only allowed hosts get ports other than 80 and 443.
    assert refused.startswith(b"HTTP/1.1 403 ") and [r.host for r in strict.refusals] == ["127.0.0.1"]
    assert allowed.startswith(b"HTTP/1.1 200 ") and allowing.refusals == []
    assert connections.attempts == [("127.0.0.1", http_site.port)] and len(http_site.requests) == 1


async def test_a_rebinding_name_is_looked_up_once_and_reached_at_the_checked_address(echo: Upstream) -> None:
    public = "93.184.216.34"
    resolver = Resolver([public], ["127.0.0.1"])  # what a rebinding DNS server would answer the second time
    connections = Connections(through={(public, 443): echo.port})  # the local echo stands in for the public site
    async with EgressProxy(resolver=resolver, connector=connections) as proxy:
        reader, writer, head = await _exchange(proxy, b"CONNECT rebind.example:443 HTTP/1.1\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ")
        writer.write(b"hello\n")
        assert await asyncio.wait_for(reader.readline(), WAIT) == b"pong hello\n"
        writer.close()

    assert resolver.lookups == ["rebind.example"]
    assert connections.attempts == [(public, 443)]
    assert proxy.refusals == []


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET https://jobs.example.com/ HTTP/1.1\r\n\r\n",
        b"CONNECT jobs.example.com HTTP/1.1\r\n\r\n",
        b"GET http://u:p@jobs.example.com/ HTTP/1.1\r\n\r\n",
        b"NONSENSE\r\n\r\n",
    ],
)
async def test_requests_that_are_not_proxy_requests_get_400(request_bytes: bytes) -> None:
    connections = Connections()
    async with EgressProxy(connector=connections) as proxy:
        response = await _whole_response(proxy, request_bytes)
    assert response.startswith(b"HTTP/1.1 400 ") and connections.attempts == []


async def test_stopping_closes_open_tunnels_and_extra_connections_get_503(echo: Upstream) -> None:
    proxy = EgressProxy(allow_hosts=["127.0.0.1"], max_connections=1)
    await proxy.start()
    try:
        reader, writer, head = await _exchange(proxy, f"CONNECT 127.0.0.1:{echo.port} HTTP/1.1\r\n\r\n".encode())
        assert head.startswith(b"HTTP/1.1 200 ")
        busy = await _whole_response(proxy, f"CONNECT 127.0.0.1:{echo.port} HTTP/1.1\r\n\r\n".encode())
        assert busy.startswith(b"HTTP/1.1 503 ")
    finally:
        await proxy.stop()
    assert await asyncio.wait_for(reader.read(), WAIT) == b""
    writer.close()


# ------------------------------------------------------------------------------------ real Chromium

TRAP = """<!doctype html><html><head><title>Careers at Acme</title></head><body>
<h1>Careers at Acme</h1>
<img src="http://10.1.2.3/pixel.png" alt="">
<iframe src="/moved"></iframe>
</body></html>"""


@pytest_asyncio.fixture
async def trap_site() -> AsyncIterator[tuple[str, list[str]]]:
    """A careers page on 127.0.0.1 embedding a private-address image and a frame that redirects to metadata."""
    visits: list[str] = []

    async def careers(request: web.Request) -> web.Response:
        visits.append(request.path)
        return web.Response(text=TRAP, content_type="text/html")

    async def moved(request: web.Request) -> web.Response:
        visits.append(request.path)
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")

    app = web.Application()
    app.router.add_get("/careers", careers)
    app.router.add_get("/moved", moved)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/careers", visits
    await runner.cleanup()


@pytest.mark.browser
async def test_chromium_reaches_private_addresses_only_through_the_proxy_which_refuses_them(
    browser_options: BrowserOptions, trap_site: tuple[str, list[str]]
) -> None:
    url, visits = trap_site
    connections = Connections(through={})
    egress = EgressProxy(
        allow_hosts=browser_options.allow_hosts, resolver=browser_options.resolver, connector=connections
    )
    async with open_browser(browser_options, egress=egress) as browser:
        await browser.navigate_to(url)
        image = await asyncio.wait_for(egress.refusal_of("10.1.2.3"), WAIT)
        metadata = await asyncio.wait_for(egress.refusal_of("169.254.169.254"), WAIT)
        page = await browser.get_current_page()
        heading = await page.evaluate("() => document.querySelector('h1').textContent")

    assert heading == "Careers at Acme"
    assert "/careers" in visits and "/moved" in visits
    assert (image.port, metadata.port) == (80, 80)
    assert "private or reserved" in image.reason and "cloud-metadata" in metadata.reason
    # Chromium's own connections all went through the proxy to the local site, none anywhere else.
    assert connections.attempts and {address for address, _ in connections.attempts} == {"127.0.0.1"}
