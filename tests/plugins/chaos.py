"""The chaos harness: many applications through the real `nyx bot` and `nyx worker` processes while they
are killed with SIGKILL and PostgreSQL and Redis restart under them.

Everything outside the two Nyx processes runs here, on 127.0.0.1: the fake Bot API with simulated
users, a Greenhouse-style job site that records which posting each POST came from, and a private
PostgreSQL and Redis (tests/plugins/private_servers.py). Each user sends job links, taps Apply and
answers each review (Submit, Cancel, or never) after a random delay; a fault monkey kills and
restarts at random moments. One seed decides every delay, plan and fault, so a failing run can be
replayed (the processes' own timing still varies).

At the end `ChaosReport` says what a user would check: every application finished as its user
decided or still waits with a live prompt; no posting got two POSTs nor one its user did not approve;
each card in the chat shows the application's status.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import asyncpg
import yaml
from aiohttp import web

from handlers.cards import STATUS_ICONS
from handlers.wording import status_label
from storage.db import create_pool
from storage.models import ApplicationStatus
from storage.resilience import ResilientPool, RetryPolicy
from tests.fakes.job_site import MOTIVATION, SPONSORSHIP, GreenhouseJobSite
from tests.fakes.local_site import Submission
from tests.fakes.telegram_api import ChatMessage, FakeTelegram, SimulatedUser
from tests.plugins.private_servers import PrivateServers

log = logging.getLogger("chaos")
S = ApplicationStatus
ROOT = Path(__file__).resolve().parents[2]
FIRST_USER = 7000
PROFILE = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.org",
    "phone": "+44 20 7946 0000",
    "location": "London, UK",
    "answers": {SPONSORSHIP: "No", MOTIVATION: "Rockets that launch on schedule."},
}
RESUME = b"%PDF-1.4\n% chaos resume\n%%EOF\n"
_NOT_INHERITED = frozenset(
    {
        "PROFILE_FILE",
        "LLM_API_KEY",
        "TWOCAPTCHA_API_KEY",
        "WEBHOOK_URL",
        "WEBHOOK_SECRET",
        "HTTP_PORT",
        "DATABASE_URL",
        "REDIS_URL",
    }
)
STOPPED_MID_SUBMIT = "The worker stopped while submitting"  # the error scheduler.jobs.reconcile and apply record
FINAL = frozenset({S.SUBMITTED, S.CANCELLED, S.SKIPPED, S.REJECTED, S.FAILED, S.TIMED_OUT})


class Plan(str, Enum):
    SUBMIT = "submit"
    CANCEL = "cancel"
    IGNORE = "ignore"  # never answers the review: it must still wait, with a live prompt


class Fault(str, Enum):
    KILL_BOT = "kill_bot"
    KILL_WORKER = "kill_worker"
    RESTART_POSTGRES = "restart_postgres"
    RESTART_REDIS = "restart_redis"


@dataclass(frozen=True)
class ChaosConfig:
    applications: int = 50
    users: int = 3  # the daily cap (20 by default) is per user
    seed: int = 1
    workers: int = 1
    max_browsers: int = 1
    user_delay: tuple[float, float] = (0.0, 20.0)  # before Apply and before answering a review
    fault_every: tuple[float, float] = (10.0, 40.0)
    faults: tuple[Fault, ...] = tuple(Fault)
    max_faults: int | None = None  # this many faults, all of them even if the users finish first (None: until they do)
    plans: tuple[tuple[Plan, int], ...] = ((Plan.SUBMIT, 8), (Plan.CANCEL, 1), (Plan.IGNORE, 1))
    settle_timeout: float = 180.0  # after the users stop, for work under way to come to rest
    step_timeout: float = 600.0  # for one expected step (a card) to show up
    deadline: float = 1800.0  # the users keep answering reviews until then (seconds from the start)
    park_after_minutes: float = 0.0  # prompts park at once: a worker is free again right after a review


@dataclass
class Outcome:
    index: int
    user_id: int
    url: str
    plan: Plan
    app_id: int | None = None
    approved: bool = False  # Submit tapped and taken (its review closed)
    reviews: int = 0  # reviews answered: more than one when a restart asked again
    status: S | None = None
    problem: str | None = None


@dataclass
class ChaosReport:
    config: ChaosConfig
    faults: Counter[str] = field(default_factory=Counter)
    crashes: Counter[str] = field(default_factory=Counter)  # a process that exited by itself
    outcomes: list[Outcome] = field(default_factory=list)
    posts_by_application: Counter[int | None] = field(default_factory=Counter)  # None: a post for a job with no card
    unmatched_posts: int = 0
    # Failed because the worker died between the submit claim and the page's answer: nobody can know what
    # the site got, so it is never sent again and the card tells the user to check their e-mail. A final
    # state shown truly, so not lost; counted apart.
    stopped_mid_submit: int = 0
    seconds: float = 0.0

    @property
    def lost(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.problem is not None]

    @property
    def double_submissions(self) -> int:
        return sum(1 for n in self.posts_by_application.values() if n > 1)

    @property
    def without_approval(self) -> int:
        approved = {o.app_id for o in self.outcomes if o.approved}
        return sum(1 for app_id in self.posts_by_application if app_id not in approved) + self.unmatched_posts

    @property
    def ok(self) -> bool:
        return not self.lost and not self.double_submissions and not self.without_approval

    def lines(self) -> list[str]:
        statuses = Counter(o.status.value if o.status else "none" for o in self.outcomes)
        plans = Counter(o.plan.value for o in self.outcomes)
        out = [
            f"chaos run: {len(self.outcomes)} applications, {self.config.users} users, seed {self.config.seed}, "
            f"{self.config.workers} worker(s), {self.seconds:.0f} s",
            "faults survived: " + (", ".join(f"{k} {v}" for k, v in sorted(self.faults.items())) or "none"),
            "processes that exited by themselves (restarted): "
            + (", ".join(f"{k} {v}" for k, v in sorted(self.crashes.items())) or "none"),
            "plans: " + ", ".join(f"{k} {v}" for k, v in sorted(plans.items())),
            "final statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
            f"lost: {len(self.lost)}",
            f"failed because the worker died mid-submit (the user told to check their e-mail): {self.stopped_mid_submit}",
            f"double submissions: {self.double_submissions}",
            f"submissions without approval: {self.without_approval}",
            f"reviews asked again after an approval (the refilled form read differently, or a fault): "
            f"{sum(max(0, o.reviews - 1) for o in self.outcomes)} in {sum(1 for o in self.outcomes if o.reviews > 1)} "
            "applications",
            "still waiting for their user at the end, with a live review: "
            f"{sum(1 for o in self.outcomes if o.status is S.WAITING_USER and o.problem is None)} "
            f"(of which planned to be left unanswered: "
            f"{sum(1 for o in self.outcomes if o.status is S.WAITING_USER and o.plan is Plan.IGNORE)})",
        ]
        return out + [f"  #{o.app_id} ({o.plan.value}, {o.url.rsplit('?', 1)[-1]}): {o.problem}" for o in self.lost]


# --------------------------------------------------------------------------------------- the job site

_referer: contextvars.ContextVar[str | None] = contextvars.ContextVar("referer", default=None)


class TracedGreenhouseSite(GreenhouseJobSite):
    """The Greenhouse-style copy, remembering which posting (`?chaos=N`) each accepted POST came from."""

    def __init__(self) -> None:
        super().__init__()
        self.posts: list[tuple[int | None, Submission]] = []

    async def _apply(self, request: web.Request) -> web.Response:
        _referer.set(request.headers.get("Referer"))
        return await super()._apply(request)

    async def record(self, submission: Submission) -> None:
        query = parse_qs(urlsplit(_referer.get() or "").query)
        index = int(query["chaos"][0]) if query.get("chaos") else None
        self.posts.append((index, submission))
        await super().record(submission)


# --------------------------------------------------------------------------------------- processes


class NyxProcess:
    """`nyx bot` or `nyx worker` as a real subprocess of this worktree's code, killed with SIGKILL."""

    def __init__(self, role: str, env: dict[str, str], log_dir: Path, name: str) -> None:
        self.role, self.env, self.name = role, env, name
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as out:
            # A session of its own: SIGKILL to the group takes its Chromium with it, as a crashed container would.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", self.role],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None

    def exited_by_itself(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def stop(self) -> None:
        """At the end: SIGTERM (the graceful stop), then SIGKILL."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None


# --------------------------------------------------------------------------------------- the run


class ChaosRun:
    def __init__(self, config: ChaosConfig, servers: PrivateServers, work_dir: Path) -> None:
        self.config = config
        self.servers = servers
        self.work_dir = work_dir
        self.rng = random.Random(config.seed)
        self.report = ChaosReport(config)
        self.fake = FakeTelegram()
        self.site = TracedGreenhouseSite()
        self.processes: list[NyxProcess] = []
        self.pool: ResilientPool | None = None
        self._faults_lock = asyncio.Lock()  # one fault at a time, and none while processes restart

    async def run(self) -> ChaosReport:
        started = time.monotonic()
        self.deadline = started + self.config.deadline
        database = f"nyx_chaos_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(self.servers.postgres.url)
        await admin.execute(f'CREATE DATABASE "{database}"')
        await admin.close()
        database_url = self.servers.postgres.url.rsplit("/", 1)[0] + f"/{database}"
        async with self.fake, self.site:
            env = self._environment(database_url)
            self.processes = [NyxProcess("bot", env, self.work_dir, "bot")] + [
                NyxProcess("worker", env, self.work_dir, f"worker-{n}") for n in range(self.config.workers)
            ]
            for process in self.processes:
                process.start()
            self.pool = await create_pool(database_url, policy=RetryPolicy(deadline=120))
            users = [self.fake.user(FIRST_USER + n, first_name=f"User{n}") for n in range(self.config.users)]
            try:
                for user in users:
                    await self._load_profile(user)
                outcomes = self._plan(users)
                self.report.outcomes = outcomes
                monkey = asyncio.create_task(self._fault_monkey())
                watchdog = asyncio.create_task(self._restart_exited())
                try:
                    results = await asyncio.gather(*(self._act(o, users) for o in outcomes), return_exceptions=True)
                    for outcome, result in zip(outcomes, results):
                        if isinstance(result, Exception):
                            log.error("chaos: the user of application %s gave up: %r", outcome.index, result)
                    if self.config.max_faults is not None:
                        await monkey  # a run with a set number of faults meets them all, even if its users finish first
                finally:
                    monkey.cancel()
                    async with self._faults_lock:  # let a restart in progress finish
                        pass
                await self._settle(outcomes)
                watchdog.cancel()
                await self._judge(outcomes)
            finally:
                for process in self.processes:
                    await asyncio.to_thread(process.stop)
                await self.pool.close()
        self.report.seconds = time.monotonic() - started
        return self.report

    def _environment(self, database_url: str) -> dict[str, str]:
        allowed = ",".join(str(FIRST_USER + n) for n in range(self.config.users))
        # Nothing of this machine's own Nyx configuration leaks in (a profile file, an LLM key, a webhook).
        inherited = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
        return {
            **inherited,
            "TELEGRAM_BOT_TOKEN": self.fake.token,
            "TELEGRAM_API_BASE": self.fake.base_url,
            "ALLOWED_USER_IDS": allowed,
            "DATABASE_URL": database_url,
            "REDIS_URL": self.servers.redis.url,
            "QUEUE_NAME": f"nyx:chaos:{uuid.uuid4().hex[:6]}",
            "DATA_DIR": str(self.work_dir / "data"),
            "CHROME_PATH": "/usr/bin/chromium",
            "HEADLESS": "false",
            "URL_ALLOW_HOSTS": "127.0.0.1",
            "MAX_CONCURRENT_BROWSERS": str(self.config.max_browsers),
            "PARK_AFTER_MINUTES": str(self.config.park_after_minutes),
            "PROMPT_CHECK_SECONDS": "5",
            "LOG_LEVEL": "INFO",
            "ANONYMIZED_TELEMETRY": "false",
            "BROWSER_USE_VERSION_CHECK": "false",
            "BROWSER_USE_DISABLE_EXTENSIONS": "1",
        }

    def _plan(self, users: list[SimulatedUser]) -> list[Outcome]:
        choices = [plan for plan, weight in self.config.plans for _ in range(weight)]
        return [
            Outcome(
                index=n,
                user_id=users[n % len(users)].user_id,
                url=f"{self.site.posting_url}?chaos={n:03d}",
                plan=self.rng.choice(choices),
            )
            for n in range(self.config.applications)
        ]

    # -- the users ---------------------------------------------------------------------------------

    async def _load_profile(self, user: SimulatedUser) -> None:
        await user.send_document("profile.yaml", yaml.safe_dump(PROFILE).encode(), "application/x-yaml")
        await self.fake.wait_for_message(
            lambda m: m.chat_id == user.chat_id and "Profile saved" in m.body, timeout=self.config.step_timeout
        )
        await user.send_document("resume.pdf", RESUME, "application/pdf")
        await self.fake.wait_for_message(
            lambda m: m.chat_id == user.chat_id and "Résumé saved" in m.body, timeout=self.config.step_timeout
        )

    async def _act(self, outcome: Outcome, users: list[SimulatedUser]) -> None:
        user = next(u for u in users if u.user_id == outcome.user_id)
        # Each application's delays come from its own generator: the order tasks run in changes nothing.
        rng = random.Random(f"{self.config.seed}:{outcome.index}")
        low, high = self.config.user_delay
        await asyncio.sleep(rng.uniform(0, high * 2))  # links arrive spread out
        card = await self._send_until_card(user, outcome)
        outcome.app_id = int(re.search(r"#(\d+) ·", card.body).group(1))
        await asyncio.sleep(rng.uniform(low, high))
        await self._tap_until(
            user,
            lambda: self._card(outcome) if _has(self._card(outcome), "Apply") else None,
            "Apply",
            moved=lambda: not _has(self._card(outcome), "Apply"),
        )
        # Like a user: every review that shows up is answered as planned, until the application rests.
        while time.monotonic() < self.deadline:
            if await self._status(outcome) in FINAL:
                return
            with contextlib.suppress(TimeoutError):
                await self.fake.wait_for_message(lambda m: self._live_review(outcome) is not None, timeout=5)
            if self._live_review(outcome) is None:
                continue
            if outcome.plan is Plan.IGNORE:
                return
            outcome.reviews += 1
            await asyncio.sleep(rng.uniform(low, high))
            button = "Submit" if outcome.plan is Plan.SUBMIT else "Cancel"
            if await self._tap_until(
                user, lambda: self._live_review(outcome), button, moved=lambda: self._live_review(outcome) is None
            ):
                outcome.approved = outcome.approved or outcome.plan is Plan.SUBMIT

    async def _send_until_card(self, user: SimulatedUser, outcome: Outcome) -> ChatMessage:
        """Send the link; again if no card came (a bot killed right after fetching the update loses it)."""
        deadline = time.monotonic() + self.config.step_timeout
        while True:
            await user.send(outcome.url)
            try:
                return await self.fake.wait_for_message(
                    lambda m: m.chat_id == user.chat_id and _shows_url(m, outcome.url) and "#" in m.body,
                    timeout=90,
                )
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise

    async def _tap_until(self, user: SimulatedUser, target, button: str, *, moved) -> bool:
        """Tap `button` on the message `target()` returns until `moved()` (the chat changed); False if the
        target disappeared without our tap being taken (e.g. a fresh review replaced it)."""
        while time.monotonic() < self.deadline:
            message = target()
            if message is None:
                return moved()
            with contextlib.suppress(TimeoutError, RuntimeError, ValueError, LookupError):
                # A dead bot answers nothing: the tap waits in the fake's queue for the next bot.
                await user.tap(message, button, timeout=15)

            def gone(m: ChatMessage, shown: ChatMessage = message) -> bool:
                return m.message_id == shown.message_id and m.chat_id == shown.chat_id and (m.deleted or moved())

            with contextlib.suppress(TimeoutError):
                await self.fake.wait_for_message(gone, timeout=30)
            if moved():
                return True
        return False

    def _card(self, outcome: Outcome) -> ChatMessage | None:
        return next(
            (
                m
                for m in self.fake.messages(outcome.user_id)
                if _shows_url(m, outcome.url) and f"#{outcome.app_id} ·" in m.body
            ),
            None,
        )

    def _live_review(self, outcome: Outcome) -> ChatMessage | None:
        heading = re.compile(rf"Review before submitting\W*— #{outcome.app_id}\b")
        live = [
            m for m in self.fake.messages(outcome.user_id) if heading.search(m.body) and m.buttons() and not m.deleted
        ]
        return live[-1] if live else None

    # -- the faults ----------------------------------------------------------------------------------

    async def _fault_monkey(self) -> None:
        low, high = self.config.fault_every
        # Every kind once first (in a seeded order), so even a short run meets each; then at random.
        first = self.rng.sample(self.config.faults, len(self.config.faults))
        while self.config.max_faults is None or sum(self.report.faults.values()) < self.config.max_faults:
            await asyncio.sleep(self.rng.uniform(low, high))
            fault = first.pop(0) if first else self.rng.choice(self.config.faults)
            async with self._faults_lock:
                log.warning("chaos: %s", fault.value)
                await self._inflict(fault)
                self.report.faults[fault.value] += 1

    async def _inflict(self, fault: Fault) -> None:
        if fault is Fault.KILL_BOT:
            await self._kill_and_restart(self.processes[0])
        elif fault is Fault.KILL_WORKER:
            await self._kill_and_restart(self.rng.choice(self.processes[1:]))
        elif fault is Fault.RESTART_POSTGRES:
            await asyncio.to_thread(self.servers.postgres.restart, self.rng.choice(["fast", "immediate"]))
        elif fault is Fault.RESTART_REDIS:
            await asyncio.to_thread(self.servers.redis.restart)

    async def _kill_and_restart(self, process: NyxProcess) -> None:
        await asyncio.to_thread(process.kill)
        await asyncio.sleep(self.rng.uniform(0.5, 5.0))  # down for a moment, as after a crash
        process.start()

    async def _restart_exited(self) -> None:
        """A process that exits by itself (its own error) is restarted, as a supervisor would, and counted."""
        while True:
            await asyncio.sleep(1.0)
            async with self._faults_lock:
                for process in self.processes:
                    if process.exited_by_itself():
                        log.warning(
                            "chaos: %s exited by itself (code %s); restarting", process.name, process.process.returncode
                        )
                        self.report.crashes[process.name] += 1
                        process.process = None
                        process.start()

    # -- the end -------------------------------------------------------------------------------------

    async def _settle(self, outcomes: list[Outcome]) -> None:
        """Until every application rests (final, or waiting with its prompt pending), or the time is up."""
        deadline = time.monotonic() + self.config.settle_timeout
        while time.monotonic() < deadline:
            if all([await self._resting(o) for o in outcomes]):
                return
            await asyncio.sleep(1.0)  # polling rows: PostgreSQL tells nobody when they change

    async def _resting(self, outcome: Outcome) -> bool:
        """Final, or waiting with its prompt pending; and its card says so (a card left behind by a process
        killed between the change and the edit is drawn again by the scheduler's redraw_cards)."""
        status = await self._status(outcome)
        resting = status in FINAL or (status is S.WAITING_USER and await self._pending_prompts(outcome) == 1)
        return resting and self._card_shows(outcome, status)

    def _card_shows(self, outcome: Outcome, status: S | None) -> bool:
        card = self._card(outcome)
        return status is not None and card is not None and self._shown(outcome, status) in card.body

    @staticmethod
    def _shown(outcome: Outcome, status: S) -> str:
        return f"#{outcome.app_id} · {STATUS_ICONS[status]} {status_label(status)}"

    async def _pending_prompts(self, outcome: Outcome) -> int:
        return await self.pool.fetchval(
            "SELECT count(*) FROM prompts WHERE application_id = $1 AND status = 'pending'", outcome.app_id
        )

    async def _status(self, outcome: Outcome) -> S | None:
        if outcome.app_id is None:
            return None
        value = await self.pool.fetchval("SELECT status FROM applications WHERE id = $1", outcome.app_id)
        return S(value) if value else None

    async def _judge(self, outcomes: list[Outcome]) -> None:
        by_index = {o.index: o for o in outcomes}
        for index, _ in self.site.posts:
            if index is None or index not in by_index:
                self.report.unmatched_posts += 1
            else:
                self.report.posts_by_application[by_index[index].app_id] += 1
        for outcome in outcomes:
            outcome.status = await self._status(outcome)
            outcome.problem = await self._problem(outcome)

    async def _problem(self, outcome: Outcome) -> str | None:
        """Why this application is lost: not final and not waiting for its user with a live prompt, final
        but not as its user decided, submitted other than once, or its card says something else."""
        if outcome.app_id is None:
            return "never got a card"
        status = outcome.status
        posts = self.report.posts_by_application[outcome.app_id]
        if status is S.WAITING_USER:
            if await self._pending_prompts(outcome) != 1 or self._live_review(outcome) is None:
                return "waiting, but with no live review in the chat"
        elif status is S.SUBMITTED:
            if not outcome.approved:
                return "submitted without approval"
            if posts != 1:
                return f"submitted, but the site got {posts} POST(s)"
        elif status is S.CANCELLED:
            if outcome.plan is not Plan.CANCEL:
                return "cancelled, though its user did not cancel"
        else:
            error = await self.pool.fetchval("SELECT error FROM applications WHERE id = $1", outcome.app_id)
            if not (
                status is S.FAILED and outcome.approved and posts <= 1 and (error or "").startswith(STOPPED_MID_SUBMIT)
            ):
                return f"{status.value if status else 'missing'}" + (f" ({error})" if error else "")
            self.report.stopped_mid_submit += 1  # and its card must say so, below
        card = self._card(outcome)
        shown = self._shown(outcome, status)
        if card is None or shown not in card.body:
            return f"the card does not say {shown!r}: {card.body.splitlines()[-1] if card else 'no card'}"
        return None


def _shows_url(message: ChatMessage, url: str) -> bool:
    return url in message.body.splitlines()


def _has(message: ChatMessage | None, button: str) -> bool:
    return message is not None and any(b.text == button for b in message.buttons())


async def run_chaos(config: ChaosConfig, work_dir: Path | None = None) -> ChaosReport:
    """Start private servers, run the chaos, stop everything; the report."""
    with tempfile.TemporaryDirectory(prefix="nyx-chaos-") as tmp:
        folder = Path(tmp)
        os.chmod(folder, 0o755)
        servers = PrivateServers(folder / "servers")
        await asyncio.to_thread(servers.start)
        try:
            logs = work_dir or folder / "logs"
            logs.mkdir(parents=True, exist_ok=True)
            report = await ChaosRun(config, servers, logs).run()
            report.faults["restart_postgres"] = servers.postgres.restarts
            report.faults["restart_redis"] = servers.redis.restarts
            return report
        finally:
            await asyncio.to_thread(servers.stop)
