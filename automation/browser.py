"""Opening and closing a browser-use browser session for the worker.

One session is one Chromium process with its own fresh profile folder and its own egress
proxy (automation/egress.py), through which every connection Chromium makes goes; all three
are gone when the `open_browser` block ends, whatever happened inside it. Every session starts
with the submit guard (automation/submit_guard.py) in all its frames: no form is sent until the
approved submit lifts it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from automation import submit_guard
from automation.egress import EgressProxy, Resolver
from automation.metrics import BROWSERS_IN_USE
from storage.errors import NyxError

if TYPE_CHECKING:
    from browser_use import BrowserSession

log = logging.getLogger(__name__)

# browser-use reads these (lazily) from the environment: no telemetry, no version check,
# no extension downloads from the Chrome Web Store, no cloud sync or cloud hints.
OFFLINE_ENVIRONMENT = {
    "ANONYMIZED_TELEMETRY": "false",
    "BROWSER_USE_VERSION_CHECK": "false",
    "BROWSER_USE_DISABLE_EXTENSIONS": "1",
    "BROWSER_USE_CLOUD_SYNC": "false",
    "BROWSER_USE_CLOUD_HINTS": "false",
}

WINDOW_SIZE = {"width": 1280, "height": 1024}
KILL_TIMEOUT_S = 30.0
START_ATTEMPTS = 2  # a Chromium that exits while starting gets one more go (see _launch)

# browser-use already passes most of these; repeating them keeps Chromium quiet even if its defaults change.
QUIET_CHROMIUM_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-breakpad",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pings",
    "--metrics-recording-only",
    "--disable-client-side-phishing-detection",
    "--safebrowsing-disable-auto-update",
    # browser-use merges every --disable-features it is given. NetworkTimeServiceQuerying is the
    # clock check on clients2.google.com; the rest of the first two lines are services that would fetch
    # from Google. The last line: no address-bar popup preloaded as a WebUI page, a renderer of its own
    # (about 55 MB) that nobody looks at in a worker; the address bar keeps its native popup.
    "--disable-features=OptimizationHints,OptimizationHintsFetching,OptimizationGuideModelDownloading,"
    "MediaRouter,Translate,NetworkTimeServiceQuerying,AutofillServerCommunication,"
    "WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup,PreloadTopChromeWebUI",
    "--password-store=basic",
    "--use-mock-keychain",
    # Chromium's log goes to chrome_debug.log in the profile: browser-use pipes Chromium's
    # stderr but never reads it, and a full pipe would freeze the browser.
    "--enable-logging",
    # One process fewer per application (25–55 MB PSS): the GPU thread, which only composites in
    # software under Xvfb, runs in the browser process. A GPU crash then ends the whole browser instead
    # of restarting its GPU process; the application fails like any browser crash and can be retried.
    "--in-process-gpu",
)


# Settings no switch covers, written into each fresh profile before Chromium starts: a blank start
# page (Debian's new-tab page loads the search engine's page, and about:blank gets browser-use's
# animation with its logo from cf.browser-use.com), no search engine to preconnect to or suggest from,
# no prediction, no sign-in (what none of them stops: SILENCED_HOSTS).
QUIET_PREFERENCES = {
    "signin": {"allowed": False, "allowed_on_next_startup": False},
    "default_search_provider": {"enabled": False},
    "search": {"suggest_enabled": False},
    "net": {"network_prediction_options": 2},
    "safebrowsing": {"enabled": False},
    "alternate_error_pages": {"enabled": False},
    "browser": {"has_seen_welcome_page": True, "check_default_browser": False},
    "session": {"restore_on_startup": 4, "startup_urls": ["data:,"]},
    "homepage_is_newtabpage": False,
    "homepage": "about:blank",
}

# Two requests no switch or preference stops in Chromium 156 (each was tried, see docs/architecture.md):
# GaiaCookieManagerService's accounts.google.com/ListAccounts, retried with back-off for minutes, and the
# component updater's check for the on-device model manifest on update.googleapis.com (registered despite
# --disable-component-update). They skip the proxy and resolve to "no such host" inside Chromium's own
# resolver: they fail at once, with no DNS query and no connection.
SILENCED_HOSTS = ("accounts.google.com", "update.googleapis.com")
HOST_RULES = "--host-resolver-rules="

# Switches that turn Chromium's sandbox off. browser-use adds them whenever it detects a container
# (/.dockerenv), sandbox or not; we decide instead (`chromium_sandbox`), and add them only when it is off.
SANDBOX_OFF_ARGS = ("--no-sandbox", "--disable-setuid-sandbox", "--disable-gpu-sandbox", "--no-zygote")


class BrowserUnavailable(NyxError, RuntimeError):
    """Chromium could not be found or did not start; the message says which and what to do."""


class _ExitedWhileStarting(BrowserUnavailable):
    """Chromium exited, or browser-use's start failed otherwise, before the start timeout."""


@dataclass(frozen=True)
class BrowserOptions:
    executable_path: str | None = None  # CHROME_PATH
    channel: str | None = None  # BROWSER_CHANNEL, e.g. "chromium", "chrome"
    headless: bool = False  # HEADLESS; headed by default, under Xvfb on servers
    # Each session gets a fresh folder below this one. No "chrome" in the path: browser-use
    # would then silently work on a temporary copy of the profile.
    profiles_dir: Path = Path(".nyx-data/browser-profiles")
    start_timeout_s: float = 60
    extra_args: tuple[str, ...] = ()  # more Chromium switches, e.g. host-resolver rules in tests
    # Hosts the browser may reach although they resolve to private or loopback addresses, on any
    # port (URL_ALLOW_HOSTS); every other host only on public addresses, ports 80 and 443.
    allow_hosts: tuple[str, ...] = ()
    resolver: Resolver | None = None  # how the egress proxy looks names up; None: the system's (tests: offline)


def configure_offline_environment() -> None:
    """Must run before browser_use is imported or a session is created."""
    os.environ.update(OFFLINE_ENVIRONMENT)


def resolve_executable(options: BrowserOptions) -> str:
    """The Chromium binary to launch; never lets browser-use fall back to downloading one."""
    if options.executable_path:
        path = shutil.which(options.executable_path) or options.executable_path
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise BrowserUnavailable(f"CHROME_PATH={options.executable_path} is not an executable file.")
        return path

    from browser_use.browser.profile import BrowserChannel
    from browser_use.browser.watchdogs.local_browser_watchdog import LocalBrowserWatchdog

    channel = BrowserChannel(options.channel) if options.channel else None
    found = LocalBrowserWatchdog._find_installed_browser_path(channel)
    if not found:
        raise BrowserUnavailable("No Chrome or Chromium found: install one or set CHROME_PATH.")
    return found


def _running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def chromium_sandbox() -> bool:
    """Chromium keeps its sandbox, in a container too (the image runs as an unprivileged user, and
    docs/deployment.md gives the container what the sandbox needs); Chromium refuses to start as root
    with it, so root (a developer's machine, CI) runs without."""
    return not _running_as_root()


def _keep_our_sandbox_choice() -> None:
    """Takes the sandbox switches out of browser-use's container defaults (read when a browser starts)."""
    from browser_use.browser import profile

    profile.CHROME_DOCKER_ARGS[:] = [arg for arg in profile.CHROME_DOCKER_ARGS if arg not in SANDBOX_OFF_ARGS]


def _new_profile_dir(profiles_dir: Path) -> Path:
    profiles_dir.mkdir(parents=True, exist_ok=True)
    profile_dir = Path(tempfile.mkdtemp(prefix="session-", dir=profiles_dir)).resolve()
    (profile_dir / "Default").mkdir()
    (profile_dir / "Default" / "Preferences").write_text(json.dumps(QUIET_PREFERENCES))
    return profile_dir


def egress_args(proxy_port: int) -> tuple[str, ...]:
    """Chromium switches that send every connection, loopback included, through the egress proxy, except
    SILENCED_HOSTS, which fail inside Chromium."""
    return (
        f"--proxy-server=http://127.0.0.1:{proxy_port}",
        # "<-loopback>" drops Chromium's implicit loopback bypass.
        "--proxy-bypass-list=" + ";".join(("<-loopback>", *SILENCED_HOSTS)),
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--disable-quic",  # QUIC would not use an HTTP proxy anyway; keep it from trying
    )


def host_rules(extra_args: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """The extra switches without their --host-resolver-rules, and one switch with those rules after ours
    (Chromium reads only one; ours map SILENCED_HOSTS to "not found")."""
    theirs = [arg[len(HOST_RULES) :] for arg in extra_args if arg.startswith(HOST_RULES)]
    rest = tuple(arg for arg in extra_args if not arg.startswith(HOST_RULES))
    return rest, HOST_RULES + ", ".join([*(f"MAP {host} ~NOTFOUND" for host in SILENCED_HOSTS), *theirs])


def _build_session(options: BrowserOptions, executable: str, profile_dir: Path, proxy_port: int) -> BrowserSession:
    from browser_use import BrowserSession

    _keep_our_sandbox_choice()
    sandbox = chromium_sandbox()
    extra_args, rules = host_rules(options.extra_args)
    return BrowserSession(
        executable_path=executable,
        channel=options.channel,
        headless=options.headless,
        user_data_dir=str(profile_dir),
        downloads_path=str(profile_dir / "downloads"),
        args=[
            *QUIET_CHROMIUM_ARGS,
            *extra_args,
            rules,
            *egress_args(proxy_port),
            *(() if sandbox else SANDBOX_OFF_ARGS),
        ],
        keep_alive=True,
        chromium_sandbox=sandbox,
        enable_default_extensions=False,
        window_size=WINDOW_SIZE,
    )


@asynccontextmanager
async def open_browser(options: BrowserOptions, *, egress: EgressProxy | None = None) -> AsyncIterator[BrowserSession]:
    """A started browser session; killed, its proxy stopped and its profile removed on exit.

    `egress`: a proxy not yet started, to run for this session instead of one built from the options
    (a caller that wants to read its refusals)."""
    configure_offline_environment()
    executable = resolve_executable(options)
    if egress is None:
        egress = EgressProxy(allow_hosts=options.allow_hosts, resolver=options.resolver)
    async with egress, _session(options, executable, egress.port) as browser:
        with BROWSERS_IN_USE.track_inprogress():
            yield browser


@asynccontextmanager
async def _session(options: BrowserOptions, executable: str, proxy_port: int) -> AsyncIterator[BrowserSession]:
    browser, profile_dir = await _launch(options, executable, proxy_port)
    try:
        await submit_guard.guard_browser(browser)
        await keep_pages_focused(browser)
        yield browser
    finally:
        await _close(browser, profile_dir, started=True)


async def _launch(options: BrowserOptions, executable: str, proxy_port: int) -> tuple[BrowserSession, Path]:
    """A started session and its profile folder.

    A Chromium that exits while starting (once in a chaos benchmark run of 50 applications, soon after
    a worker was killed) is started once more in a fresh profile: nothing of the job has happened yet. One that hangs is not: a second wait of `start_timeout_s` would only double it."""
    attempt = 1
    while True:
        profile_dir = _new_profile_dir(options.profiles_dir)
        try:
            browser = _build_session(options, executable, profile_dir, proxy_port)
        except BaseException:
            _remove_profile(None, profile_dir)
            raise
        try:
            await _start(browser, options, executable)
        except BaseException as exc:
            await _close(browser, profile_dir, started=False)
            if not isinstance(exc, _ExitedWhileStarting) or attempt == START_ATTEMPTS:
                raise
            log.warning("%s; starting it once more", exc)
            attempt += 1
        else:
            return browser, profile_dir


async def _close(browser: BrowserSession, profile_dir: Path, *, started: bool) -> None:
    submit_guard.forget(browser)
    try:
        if not started:
            # browser-use's kill() would first wait out the stuck launch: end that Chromium now.
            _kill_leftovers(profile_dir)
        await _stop(browser)
    finally:
        _kill_leftovers(profile_dir)
        _remove_profile(browser, profile_dir)


async def keep_pages_focused(browser: BrowserSession) -> None:
    """Every page of the session behaves as if its window had the focus (CDP focus emulation), now and
    in every tab opened later.

    Headed browsers share one X display: a second browser's window taking the focus blurs this one's
    page, which closes an open dropdown or drops typed text between two steps of a fill.
    """
    manager, client = browser.session_manager, browser.cdp_client
    if manager is None:
        return
    for target_id, target in list(manager.get_all_targets().items()):
        if target.target_type == "page":
            for session in manager.get_all_sessions_for_target(target_id):
                await _emulate_focus(client, session.session_id)
    registry = client._event_registry  # cdp-use keeps one handler per event: run browser-use's, then ours
    method = "Target.attachedToTarget"
    previous = registry._handlers.get(method)
    pending: set[asyncio.Task[None]] = set()

    def on_attached(event: Any, session_id: str | None = None) -> Any:
        result = previous(event, session_id) if previous is not None else None
        if event.get("targetInfo", {}).get("type") == "page" and event.get("sessionId"):
            task = asyncio.get_running_loop().create_task(_emulate_focus(client, event["sessionId"]))
            pending.add(task)  # keep it alive until it ran
            task.add_done_callback(pending.discard)
        return result

    registry.register(method, on_attached)


async def _emulate_focus(client: Any, session_id: str) -> None:
    try:
        await client.send.Emulation.setFocusEmulationEnabled(params={"enabled": True}, session_id=session_id)
    except Exception as exc:  # noqa: BLE001 - a tab that closed meanwhile needs no focus
        log.debug("focus emulation not set on session %s: %s", session_id[:8], exc)


async def _start(browser: BrowserSession, options: BrowserOptions, executable: str) -> None:
    try:
        await asyncio.wait_for(browser.start(), timeout=options.start_timeout_s)
    except TimeoutError as exc:
        message = f"Chromium ({executable}) did not start within {options.start_timeout_s:g} s."
        raise BrowserUnavailable(message) from exc
    except Exception as exc:
        raise _ExitedWhileStarting(f"Chromium ({executable}) did not start: {exc}") from exc


async def _stop(browser: BrowserSession) -> None:
    try:
        await asyncio.wait_for(browser.kill(), timeout=KILL_TIMEOUT_S)
    except Exception:  # never hide the caller's own error; leftovers are killed next anyway
        log.warning("browser-use did not stop its session cleanly", exc_info=True)


def _kill_leftovers(profile_dir: Path) -> None:
    """Kill our own child processes still using this session's profile.

    browser-use only learns the Chromium pid once start-up succeeded, and its kill() may
    time out: either way that Chromium would otherwise keep running.
    """
    import psutil

    marker = f"--user-data-dir={profile_dir}"
    for child in psutil.Process().children(recursive=True):
        try:
            if marker in child.cmdline():
                child.kill()
        except psutil.Error:
            continue


def _remove_profile(browser: BrowserSession | None, profile_dir: Path) -> None:
    shutil.rmtree(profile_dir, ignore_errors=True)
    used = browser.browser_profile.user_data_dir if browser is not None else None
    # browser-use swaps in a temporary copy for "chrome" profiles and does not delete it.
    if used and "browser-use-user-data-dir-" in str(used):
        shutil.rmtree(used, ignore_errors=True)
