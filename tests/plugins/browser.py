"""Pytest fixtures for real headed Chromium: an X display (Xvfb), browser options, the fake job site.

A missing Chromium or Xvfb fails the tests that need them with a message saying what to
install; it never skips them.
"""

from __future__ import annotations

import os
import select
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from automation.adapters.base import FilledForm
from automation.browser import BrowserOptions
from tests.fakes.job_site import GreenhouseJobSite

CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def readings_by_label(filled: FilledForm) -> dict[str, tuple[str | None, str | None]]:
    """What the fill tests compare: each field's label -> (intended, actual) as read back."""
    return {field.label: (field.intended, field.actual) for field in filled.fields}


SCREEN = "1280x1024x24"
XVFB_START_TIMEOUT_S = 15.0
# Behind the egress proxy Chromium looks no names up itself (the proxy does, with offline_resolver);
# should anything bypass the proxy, every name but 127.0.0.1 still resolves to nothing.
OFFLINE_ARGS = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",)
# Every local test site is on loopback, which the browser's egress proxy refuses unless allowed.
LOCAL_HOSTS = ("127.0.0.1", "localhost")


async def offline_resolver(host: str, port: int) -> list[str]:
    """The egress proxy's lookups in tests: localhost is 127.0.0.1, every other name is not found,
    so a page that names a real host never makes a test reach the network."""
    if host == "localhost":
        return ["127.0.0.1"]
    raise socket.gaierror(socket.EAI_NONAME, f"{host}: no lookups in tests")


def _display_works(display: str) -> bool:
    """Whether an X server answers on DISPLAY (":N", ":N.S" or "host:N")."""
    host, _, rest = display.rpartition(":")
    number = rest.split(".", 1)[0]
    if not number.isdigit():
        return False
    try:
        if host in ("", "unix"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(2)
                sock.connect(f"/tmp/.X11-unix/X{number}")
        else:
            socket.create_connection((host, 6000 + int(number)), timeout=2).close()
    except OSError:
        return False
    return True


def _read_display_number(read_fd: int, xvfb: subprocess.Popen[bytes], log: Path) -> str:
    """Xvfb writes its display number to -displayfd once it accepts connections."""
    deadline = time.monotonic() + XVFB_START_TIMEOUT_S
    received = b""
    while not received.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        ready, _, _ = select.select([read_fd], [], [], max(remaining, 0))
        if not ready:
            xvfb.kill()
            pytest.fail(f"Xvfb did not report a display within {XVFB_START_TIMEOUT_S:g} s: {log.read_text()[-500:]}")
        chunk = os.read(read_fd, 64)
        if not chunk:
            xvfb.wait(timeout=5)
            pytest.fail(f"Xvfb exited with {xvfb.returncode} before starting: {log.read_text()[-500:]}")
        received += chunk
    return received.decode().strip()


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    """An X display for headed Chromium: the current DISPLAY if it works, else a private Xvfb."""
    existing = os.environ.get("DISPLAY")
    if existing and _display_works(existing):
        yield existing
        return
    xvfb_path = shutil.which("Xvfb")
    if not xvfb_path:
        pytest.fail("Xvfb is not installed and no working DISPLAY is set: apt-get install xvfb")
    with tempfile.NamedTemporaryFile(prefix="xvfb-", suffix=".log", delete=False) as log_file:
        log = Path(log_file.name)
    read_fd, write_fd = os.pipe()
    with log.open("wb") as log_out:
        xvfb = subprocess.Popen(
            [xvfb_path, "-displayfd", str(write_fd), "-screen", "0", SCREEN, "-nolisten", "tcp"],
            pass_fds=(write_fd,),
            stdin=subprocess.DEVNULL,
            stdout=log_out,
            stderr=log_out,
        )
    os.close(write_fd)
    try:
        display = f":{_read_display_number(read_fd, xvfb, log)}"
    finally:
        os.close(read_fd)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DISPLAY", display)
        try:
            yield display
        finally:
            xvfb.terminate()
            try:
                xvfb.wait(timeout=10)
            except subprocess.TimeoutExpired:
                xvfb.kill()
                xvfb.wait()
            log.unlink(missing_ok=True)


@pytest.fixture
def browser_options(xvfb_display: str, tmp_path: Path) -> BrowserOptions:
    """Headed Debian Chromium on the test display, profiles under the test's tmp_path, offline."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (or set CHROME_PATH)")
    return BrowserOptions(
        executable_path=CHROMIUM,
        headless=False,
        profiles_dir=tmp_path / "browser-profiles",
        start_timeout_s=60,
        extra_args=OFFLINE_ARGS,
        allow_hosts=LOCAL_HOSTS,
        resolver=offline_resolver,
    )


@pytest_asyncio.fixture
async def job_site() -> AsyncIterator[GreenhouseJobSite]:
    async with GreenhouseJobSite() as site:
        yield site


@pytest.fixture
def resume(tmp_path: Path) -> Path:
    """A small PDF résumé for the fill tests; its bytes must arrive unchanged in the form's POST."""
    path = tmp_path / "Ada Lovelace CV.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\n% Notes on the Analytical Engine\n%%EOF\n")
    return path
