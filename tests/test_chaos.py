"""A short chaos run in the suite: six applications while the bot and the worker are killed with SIGKILL
and PostgreSQL and Redis restart (bench/chaos.py is the long one)."""

from __future__ import annotations

import pytest

from tests.plugins.chaos import ChaosConfig, Fault, run_chaos

pytestmark = pytest.mark.browser


async def test_six_applications_survive_kills_and_restarts(xvfb_display, tmp_path):
    config = ChaosConfig(
        applications=6, users=2, seed=7, user_delay=(0.0, 6.0), fault_every=(6.0, 15.0),
        step_timeout=420.0, deadline=900.0,
    )
    report = await run_chaos(config, tmp_path / "logs")
    summary = "\n".join(report.lines())
    print(summary)  # shown with -s: the faults this run survived
    assert report.faults[Fault.KILL_WORKER.value] + report.faults[Fault.KILL_BOT.value] >= 2, summary
    assert report.lost == [], summary
    assert report.double_submissions == 0, summary
    assert report.without_approval == 0, summary
    assert report.faults["restart_postgres"] >= 1 and report.faults["restart_redis"] >= 1, summary
