"""The browser's only way out: a small HTTP proxy on 127.0.0.1 that vets every connection Chromium makes.

Chromium fetches redirects, images, frames, fetch() calls and WebSockets on its own, and looks host
names up itself, after and apart from `check_url`. With `--proxy-server` pointing here (loopback
included), each `CONNECT host:port` and each absolute-form request (`GET http://host:port/path`) is
checked with `check_url`'s policy (automation.urls) (`allow_hosts` honoured), the host is looked up once, every answer
is checked, and the proxy connects to exactly those addresses: a DNS answer that changes in between
(rebinding) cannot reach a private address. A refused target gets `403` and a one-line reason
before any outbound connection is attempted, and is recorded in `EgressProxy.refusals`.

Ports: 80 and 443 for every host (that is where job sites live); any port only for hosts in
`allow_hosts` (an intranet board on :8080, the local test sites on ephemeral loopback ports).

Plain HTTP is forwarded one request per client connection, in origin-form, without Proxy-* headers
and with `Connection: close` both ways (unless it is an Upgrade), so a kept-alive connection can
never carry a second request to another host. The request body is relayed as bytes, so anything
after it can only reach the same vetted address.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Self
from urllib.parse import urlsplit

from automation.urls import UnsafeUrl, address_refusal, allowed_hosts, host_name, port_refusal
from storage.errors import NyxError

log = logging.getLogger(__name__)

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]  # (host, port) -> addresses; OSError if not found
Connector = Callable[[str, int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]

MAX_HEAD_BYTES = 64 * 1024
HEAD_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 15.0
IDLE_TIMEOUT_S = 300.0  # no byte either way for this long ends a tunnel (a quiet WebSocket included)
MAX_CONNECTIONS = 128  # Chromium keeps at most 32 sockets per proxy, plus WebSockets
CHUNK = 64 * 1024
LINGER_S = 2.0  # how long an answered client may go on sending before its connection is closed

_HOST = re.compile(r"[A-Za-z0-9._-]{1,253}")  # Chromium sends names in punycode; IPv6 comes in brackets
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_VERSIONS = frozenset({"HTTP/1.0", "HTTP/1.1"})
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization"})


@dataclass(frozen=True)
class Refusal:
    """A connection the browser tried to make and the proxy refused."""

    host: str
    port: int
    reason: str


class _BadRequest(NyxError, ValueError):
    """The client's request cannot be read as a proxy request; answered with 400."""


@dataclass(frozen=True)
class _Head:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name]

    def tokens(self, name: str) -> set[str]:
        return {token.strip().lower() for value in self.values(name) for token in value.split(",") if token.strip()}


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))


async def open_tcp(address: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.wait_for(asyncio.open_connection(address, port), CONNECT_TIMEOUT_S)


class EgressProxy:
    """One browser session's proxy; `async with EgressProxy(...) as proxy:` serves on `proxy.port`."""

    def __init__(
        self,
        *,
        allow_hosts: Iterable[str] = (),
        resolver: Resolver | None = None,
        connector: Connector | None = None,
        max_connections: int = MAX_CONNECTIONS,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
    ) -> None:
        self._allowed = allowed_hosts(allow_hosts)
        self._resolve = resolver or system_resolver
        self._connect = connector or open_tcp
        self._max_connections = max_connections
        self._idle_timeout_s = idle_timeout_s
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._refused = asyncio.Condition()
        self.refusals: list[Refusal] = []
        self.port = 0

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, limit=MAX_HEAD_BYTES)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and close every open tunnel."""
        if self._server is None:
            return
        self._server.close()
        handlers = list(self._handlers)
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def refusal_of(self, host: str) -> Refusal:
        """The first refusal of `host`, waiting for it if there is none yet (bound the wait yourself)."""
        async with self._refused:
            await self._refused.wait_for(lambda: any(r.host == host for r in self.refusals))
        return next(r for r in self.refusals if r.host == host)

    # ------------------------------------------------------------------------------- the policy

    async def route(self, host: str, port: int) -> tuple[str, ...]:
        """The addresses `host:port` may be reached at, every one checked; UnsafeUrl says why not."""
        literal = _ip_literal(host)
        if literal is None and not _HOST.fullmatch(host):
            raise UnsafeUrl("That host name is malformed.")
        named = host_name(host)  # the name rules (IDNA, look-alikes); the addresses after our one lookup
        allowed = named in self._allowed
        if reason := port_refusal(port, allowed=allowed):
            raise UnsafeUrl(reason)
        if literal is not None:
            addresses: Sequence[str] = [str(literal)]
        else:
            try:
                addresses = list(await self._resolve(named, port))
            except OSError:
                raise UnsafeUrl(f"The host {named} could not be found.") from None
            if not addresses or any(_ip_literal(address) is None for address in addresses):
                raise UnsafeUrl(f"The host {named} could not be found.")
        if not allowed:
            for address in addresses:
                if reason := address_refusal(address):
                    raise UnsafeUrl(f"{named} points to {reason}, which Nyx will not open.")
        return tuple(addresses)

    # ------------------------------------------------------------------------------- the wire

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            if self._server is not None and self._server.is_serving():  # not accepted just as it stopped
                await self._serve(reader, writer)
        except asyncio.CancelledError:
            pass  # stop() ends tunnels; a cancelled handler task makes Python 3.11's asyncio log an error
        finally:
            self._handlers.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection: relayed, or answered (then drained, so the answer is not lost to a reset)."""
        relayed = False
        try:
            if len(self._handlers) > self._max_connections:
                await _answer(writer, 503, "Too many connections through the browser's proxy.")
            elif (head := await _read_request(reader)) is not None:
                if head.method == "CONNECT":
                    relayed = await self._tunnel(head, reader, writer)
                else:
                    relayed = await self._forward(head, reader, writer)
        except _BadRequest as exc:
            await _answer(writer, 400, str(exc))
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            return  # either side went away or went quiet: nothing to tell anyone
        if not relayed:
            await _linger(reader, writer)

    async def _tunnel(self, head: _Head, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        host, port = _authority(head.target)
        upstream = await self._open_upstream(writer, host, port)
        if upstream is None:
            return False
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await self._relay(reader, writer, *upstream)
        return True

    async def _forward(self, head: _Head, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        try:
            parts = urlsplit(head.target)
            port = parts.port or 80
        except ValueError:
            raise _BadRequest("The request's URL is malformed.") from None
        if parts.scheme.lower() != "http" or not parts.hostname:
            raise _BadRequest("Only absolute http:// requests and CONNECT are proxied.")
        if parts.username is not None or parts.password is not None:
            raise _BadRequest("URLs with credentials are not proxied.")
        upstream = await self._open_upstream(writer, parts.hostname, port)
        if upstream is None:
            return False
        up_reader, up_writer = upstream
        try:
            up_writer.write(_origin_form_request(head, parts.hostname, port, parts.path, parts.query))
            await up_writer.drain()
            await self._relay(reader, writer, up_reader, up_writer, response=not _is_upgrade(head))
        finally:
            up_writer.close()
        return True

    async def _open_upstream(
        self, writer: asyncio.StreamWriter, host: str, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """Vet, then connect to a checked address; None after answering the client with why not."""
        try:
            addresses = await self.route(host, port)
        except UnsafeUrl as exc:
            await self._refuse(writer, host, port, str(exc))
            return None
        for address in addresses:
            try:
                return await self._connect(address, port)
            except (OSError, TimeoutError) as exc:
                log.info("browser egress: %s:%s (%s) did not answer: %s", host, port, address, exc)
        await _answer(writer, 502, f"{host}:{port} did not accept the connection.")
        return None

    async def _refuse(self, writer: asyncio.StreamWriter, host: str, port: int, reason: str) -> None:
        log.warning("browser egress refused %s:%s: %s", host, port, reason)
        async with self._refused:
            self.refusals.append(Refusal(host, port, reason))
            self._refused.notify_all()
        await _answer(writer, 403, f"Nyx refused to connect to {host}:{port}: {reason}")

    async def _relay(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
        *,
        response: bool = False,
    ) -> None:
        """Bytes both ways until both sides are done (a tunnel) or the response is (`response`: its
        head is rewritten to `Connection: close` first), or until nothing moved for the idle time."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._idle_timeout_s) as idle:

                def active() -> None:
                    idle.reschedule(loop.time() + self._idle_timeout_s)

                upload = asyncio.create_task(_pipe(reader, up_writer, active))
                download = asyncio.create_task(
                    _relay_response(up_reader, writer, active) if response else _pipe(up_reader, writer, active)
                )
                try:
                    ends = [download] if response else [upload, download]
                    await asyncio.wait(ends, return_when=asyncio.FIRST_EXCEPTION)
                finally:
                    for task in (upload, download):
                        task.cancel()
                    await asyncio.gather(upload, download, return_exceptions=True)
        finally:
            up_writer.close()


# ----------------------------------------------------------------------------------- HTTP pieces


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _origin(host: str, port: int) -> str:
    netloc = f"[{host}]" if ":" in host else host  # an IPv6 literal, as written
    return f"http://{netloc}:{port}/"


def _authority(target: str) -> tuple[str, int]:
    """`host:port` or `[v6]:port` of a CONNECT request."""
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        port = rest.removeprefix(":")
    else:
        host, _, port = target.rpartition(":")
    if not host or not port.isdigit() or len(port) > 5:
        raise _BadRequest("CONNECT needs host:port.")
    return host, int(port)


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    try:
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT_S)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise _BadRequest("The request ended before its headers did.") from None
        return None
    except asyncio.LimitOverrunError:
        raise _BadRequest("The request's headers are too large.") from None


def _parse_headers(lines: list[str]) -> list[tuple[str, str]]:
    headers = []
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN.fullmatch(name):
            raise _BadRequest("A header line is malformed.")
        headers.append((name, value.strip()))
    return headers


async def _read_request(reader: asyncio.StreamReader) -> _Head | None:
    raw = await _read_head(reader)
    if raw is None:
        return None
    request_line, *lines = raw[:-4].decode("latin-1").split("\r\n")
    method, target, version = (request_line.split(" ") + ["", "", ""])[:3]
    if not _TOKEN.fullmatch(method) or not target or version not in _VERSIONS or request_line.count(" ") != 2:
        raise _BadRequest("The request line is malformed.")
    return _Head(method, target, version, _parse_headers(lines))


def _is_upgrade(head: _Head) -> bool:
    return "upgrade" in head.tokens("connection") and bool(head.values("upgrade"))


def _origin_form_request(head: _Head, host: str, port: int, path: str, query: str) -> bytes:
    target = (path or "/") + (f"?{query}" if query else "")
    authority = _origin(host, port).removeprefix("http://").removesuffix("/").removesuffix(":80")
    dropped = _HOP_BY_HOP | head.tokens("connection") | {"host", "upgrade"}
    lines = [f"{head.method} {target} {head.version}", f"Host: {authority}"]
    lines += [f"{name}: {value}" for name, value in head.headers if name.lower() not in dropped]
    if _is_upgrade(head):
        lines += [f"Upgrade: {value}" for value in head.values("upgrade")] + ["Connection: Upgrade"]
    else:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _closing_response_head(raw: bytes) -> bytes:
    status_line, *lines = raw[:-4].decode("latin-1").split("\r\n")
    headers = _parse_headers(lines)
    named = {
        token.strip().lower() for name, value in headers if name.lower() == "connection" for token in value.split(",")
    }
    dropped = _HOP_BY_HOP | named
    kept = [f"{name}: {value}" for name, value in headers if name.lower() not in dropped]
    return "\r\n".join([status_line, *kept, "Connection: close"]).encode("latin-1") + b"\r\n\r\n"


async def _relay_response(
    up_reader: asyncio.StreamReader, writer: asyncio.StreamWriter, active: Callable[[], None]
) -> None:
    """The response head(s) with `Connection: close` (interim 1xx and 101 pass as they are), then the rest."""
    while True:
        try:
            raw = await up_reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                writer.write(exc.partial)  # not HTTP after all (or cut short): pass on what came
            return
        except asyncio.LimitOverrunError:
            await _answer(writer, 502, "The site's response headers are too large.")
            return
        active()
        status = raw.split(b" ", 2)[1] if raw.count(b" ") >= 1 else b""
        interim = status.startswith(b"1") and len(status) == 3
        try:
            writer.write(raw if interim else _closing_response_head(raw))
        except _BadRequest:
            await _answer(writer, 502, "The site's response headers are malformed.")
            return
        await writer.drain()
        if not interim or status == b"101":
            break
    await _pipe(up_reader, writer, active)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, active: Callable[[], None]) -> None:
    while data := await reader.read(CHUNK):
        active()
        writer.write(data)
        await writer.drain()
    if writer.can_write_eof():
        with contextlib.suppress(OSError):
            writer.write_eof()


async def _answer(writer: asyncio.StreamWriter, status: int, reason: str) -> None:
    phrase = {400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway", 503: "Service Unavailable"}[status]
    body = (reason + "\n").encode()
    writer.write(
        f"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    with contextlib.suppress(ConnectionError):
        await writer.drain()


async def _linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read what the client still sends (a request body) before closing: closing a socket with unread
    input resets it, and the client would see the reset instead of the answer."""
    with contextlib.suppress(OSError, TimeoutError):
        if writer.can_write_eof():
            writer.write_eof()
        async with asyncio.timeout(LINGER_S):
            while await reader.read(CHUNK):
                pass
