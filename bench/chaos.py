"""Chaos: 50+ applications through the real `nyx bot` and `nyx worker` processes, killed with SIGKILL at
random moments and restarted, while a private PostgreSQL and Redis restart under them.

Prints the faults survived and what a user would check: lost applications, double submissions,
submissions without approval (see tests/plugins/chaos.py). Replay a run with the same --seed.
Needs an X display for the worker's headed Chromium:

    xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python -m bench.chaos [--applications 50] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from tests.plugins.chaos import ChaosConfig, run_chaos


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=50)
    parser.add_argument("--users", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-every", type=float, nargs=2, default=(10.0, 40.0), metavar=("MIN", "MAX"))
    parser.add_argument("--user-delay", type=float, nargs=2, default=(0.0, 20.0), metavar=("MIN", "MAX"))
    parser.add_argument(
        "--deadline",
        type=float,
        default=1800.0,
        help="seconds from the start during which the users keep answering reviews",
    )
    parser.add_argument("--logs", type=Path, default=None, help="keep the bot's and workers' logs here")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        parser.error("no DISPLAY: run it under xvfb-run (the worker's Chromium is headed)")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    config = ChaosConfig(
        applications=args.applications,
        users=args.users,
        workers=args.workers,
        seed=args.seed,
        fault_every=tuple(args.fault_every),
        user_delay=tuple(args.user_delay),
        deadline=args.deadline,
    )
    report = asyncio.run(run_chaos(config, args.logs))
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
