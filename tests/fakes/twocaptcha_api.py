"""A local 2captcha: the in.php / res.php API that 2captcha-python 2.1 speaks, over TLS on 127.0.0.1.

The library's async client (httpx) POSTs the task to `https://<server>/in.php` as form fields
(`key`, `method` = userrecaptcha | turnstile | base64 | post, `googlekey`/`sitekey`, `pageurl`, ...;
an image as base64 `body` or a multipart `file`) and gets `OK|<task id>`; it then GETs
`res.php?key=..&action=get&id=..` until `OK|<answer>` (`CAPCHA_NOT_READY` meanwhile). Any reply
containing `ERROR` is an error. `getbalance` and `reportgood` / `reportbad` are answered too.

The server's certificate comes from a throwaway `trustme` CA written to `ca_file`; a client trusts it
the way a user would trust a private CA: `SSL_CERT_FILE=<ca_file>` (httpx reads it).
"""

from __future__ import annotations

import base64
import binascii
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import trustme
from aiohttp import web

API_KEY = "0123456789abcdef0123456789abcdef"  # 2captcha keys are 32 hex digits


@dataclass
class CaptchaTask:
    """One CAPTCHA sent to in.php, and how it was answered."""

    id: str
    method: str
    params: dict[str, str]
    image: bytes | None
    answer: str
    polls: int = 0


@dataclass
class FakeTwoCaptcha:
    ca_dir: Path
    api_key: str = API_KEY
    image_text: str = "XK7P2"  # what the "workers" read in any image
    in_error: str | None = None  # in.php answers this instead of accepting a task (e.g. ERROR_ZERO_BALANCE)
    result_error: str | None = None  # res.php answers this instead of the solution (ERROR_CAPTCHA_UNSOLVABLE)
    not_ready_polls: int = 0  # res.php says CAPCHA_NOT_READY this many times per task first
    balance: str = "7.5"
    tasks: list[CaptchaTask] = field(default_factory=list)
    reports: list[tuple[str, bool]] = field(default_factory=list)
    requests: int = 0  # every call that reached the server, with or without a valid key
    _runner: web.AppRunner | None = None
    _port: int | None = None

    @property
    def server(self) -> str:
        """What goes into TWOCAPTCHA_SERVER: a bare host:port (the library always uses https)."""
        if self._port is None:
            raise RuntimeError("the fake 2captcha is not started")
        return f"127.0.0.1:{self._port}"

    @property
    def ca_file(self) -> Path:
        return self.ca_dir / "fake-2captcha-ca.pem"

    async def start(self) -> None:
        ca = trustme.CA()
        self.ca_dir.mkdir(parents=True, exist_ok=True)
        ca.cert_pem.write_to_path(str(self.ca_file))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        app = web.Application()
        app.router.add_post("/in.php", self._in)
        app.router.add_get("/res.php", self._res)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context).start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _in(self, request: web.Request) -> web.Response:
        self.requests += 1
        form = await request.post()
        params = {name: value for name, value in form.items() if isinstance(value, str)}
        if params.get("key") != self.api_key:
            return _text("ERROR_KEY_DOES_NOT_EXIST")
        if self.in_error:
            return _text(self.in_error)
        method = params.get("method", "")
        image = None
        if method == "userrecaptcha":
            if not params.get("googlekey"):
                return _text("ERROR_GOOGLEKEY")
            if not params.get("pageurl"):
                return _text("ERROR_PAGEURL")
            answer = f"03AFcWeA-fake-recaptcha-token-{len(self.tasks) + 1}"
        elif method == "turnstile":
            if not params.get("sitekey") or not params.get("pageurl"):
                return _text("ERROR_BAD_PARAMETERS")
            answer = f"0.fake-turnstile-token-{len(self.tasks) + 1}"
        elif method == "base64":
            try:
                image = base64.b64decode(params.get("body", ""), validate=True)
            except binascii.Error:
                return _text("ERROR_WRONG_FILE_EXTENSION")
            answer = self.image_text
        elif method == "post":
            upload = form.get("file")
            if not isinstance(upload, web.FileField):
                return _text("ERROR_ZERO_CAPTCHA_FILESIZE")
            image = upload.file.read()
            answer = self.image_text
        else:
            return _text("ERROR_BAD_PARAMETERS")
        if image is not None and not image:
            return _text("ERROR_ZERO_CAPTCHA_FILESIZE")
        task = CaptchaTask(
            id=str(7_000_000_000 + len(self.tasks) + 1), method=method, params=params, image=image, answer=answer
        )
        self.tasks.append(task)
        return _text(f"OK|{task.id}")

    async def _res(self, request: web.Request) -> web.Response:
        self.requests += 1
        query = request.query
        if query.get("key") != self.api_key:
            return _text("ERROR_WRONG_USER_KEY")
        action = query.get("action")
        if action == "getbalance":
            return _text(self.balance)
        task = next((t for t in self.tasks if t.id == query.get("id")), None)
        if task is None:
            return _text("ERROR_WRONG_CAPTCHA_ID")
        if action in ("reportgood", "reportbad"):
            self.reports.append((task.id, action == "reportgood"))
            return _text("OK_REPORT_RECORDED")
        if action != "get":
            return _text("ERROR_BAD_ACTION")
        task.polls += 1
        if task.polls <= self.not_ready_polls:
            return _text("CAPCHA_NOT_READY")
        if self.result_error:
            return _text(self.result_error)
        return _text(f"OK|{task.answer}")


def _text(body: str) -> web.Response:
    return web.Response(text=body, content_type="text/plain")
