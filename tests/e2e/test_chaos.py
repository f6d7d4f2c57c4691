"""A short chaos run in the suite: four applications while the bot and the worker are each killed once with
SIGKILL and PostgreSQL and Redis each restart once, in a seeded order, while the forms are being filled
(bench/chaos.py is the long one, with faults until the users are done)."""

from __future__ import annotations

import pytest

from tests.plugins.chaos import ChaosConfig, Fault, run_chaos

pytestmark = pytest.mark.browser


async def test_four_applications_survive_kills_and_restarts(xvfb_display, tmp_path):
    config = ChaosConfig(
        applications=4,
        users=2,
        seed=7,
        user_delay=(0.0, 4.0),
        fault_every=(3.0, 6.0),
        max_faults=len(Fault),
        step_timeout=420.0,
        deadline=900.0,
    )
    report = await run_chaos(config, tmp_path / "logs")
    summary = "\n".join(report.lines())
    print(summary)  # shown with -s: the faults this run survived
    assert report.faults[Fault.KILL_WORKER.value] == 1 and report.faults[Fault.KILL_BOT.value] == 1, summary
    assert report.lost == [], summary
    assert report.double_submissions == 0, summary
    assert report.without_approval == 0, summary
    assert report.faults["restart_postgres"] >= 1 and report.faults["restart_redis"] >= 1, summary
