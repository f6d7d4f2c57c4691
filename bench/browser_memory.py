"""One application's browser: its memory as PSS summed over Chromium's processes, and what it tried to reach.

Opens a session the way the worker does (headed Chromium, egress proxy), loads the local
Greenhouse-style copy, fills it from a profile, then reads `Pss:` from `/proc/<pid>/smaps_rollup`
of every Chromium process of the session (RSS summed is printed next to it: it counts shared
pages once per process). The egress proxy's refusals show background traffic (Google hosts).
Each variant adds Chromium switches to the worker's own; `--variants` picks some.

    xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python -m bench.browser_memory [--runs 3] [--settle 5]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psutil

from automation.adapters import open_application
from automation.adapters.base import ApplicantFiles
from automation.browser import QUIET_CHROMIUM_ARGS, BrowserOptions, open_browser
from automation.egress import EgressProxy
from storage.models import Profile
from tests.fakes.job_site import GreenhouseJobSite
from tests.plugins.browser import OFFLINE_ARGS, offline_resolver

PROFILE = Profile(
    first_name="Ada", last_name="Lovelace", email="ada@example.org", phone="+44 20 7946 0000", location="London, UK"
)
GOOGLE = ("google.com", "googleapis.com", "gstatic.com", "gvt1.com", "googleusercontent.com", "doubleclick.net")

# Switches measured on top of the worker's own (QUIET_CHROMIUM_ARGS); "worker" is what the worker runs.
VARIANTS: dict[str, tuple[str, ...]] = {
    "worker": (),
    "renderer-limit-1": ("--renderer-process-limit=1",),
    "no-site-isolation": ("--disable-site-isolation-trials", "--disable-features=IsolateOrigins,site-per-process"),
    "js-heap-128": ("--js-flags=--max-old-space-size=128",),
    "process-per-site": ("--process-per-site",),
}


def chromium_memory() -> tuple[float, float, int]:
    """(PSS MB, RSS MB, processes) summed over the Chromium processes this process started."""
    pss = rss = 0
    count = 0
    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" not in child.name():
                continue
            with open(f"/proc/{child.pid}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
            count += 1
        except (psutil.Error, OSError):
            continue
    return pss / 2**20, rss / 2**20, count


@dataclass(frozen=True)
class Measurement:
    pss_mb: float
    rss_mb: float
    processes: int
    refused_hosts: tuple[str, ...]  # the Google hosts the egress proxy refused


async def measure(variant: str, site: GreenhouseJobSite, folder: Path, settle: float) -> Measurement:
    options = BrowserOptions(
        executable_path="/usr/bin/chromium",
        headless=False,
        profiles_dir=folder / variant,
        extra_args=(*OFFLINE_ARGS, *VARIANTS[variant]),
        allow_hosts=("127.0.0.1",),
        resolver=offline_resolver,
    )
    proxy = EgressProxy(allow_hosts=options.allow_hosts, resolver=offline_resolver)
    async with open_browser(options, egress=proxy) as browser:
        adapter = await open_application(browser, site.posting_url)
        await adapter.fill(browser, PROFILE, ApplicantFiles(resume=None))
        await asyncio.sleep(settle)  # a bench: let the page and Chromium's own timers settle before reading
        pss, rss, processes = chromium_memory()
    google = sorted({r.host for r in proxy.refusals if r.host.endswith(GOOGLE)})
    return Measurement(pss, rss, processes, tuple(google))


async def main(runs: int, settle: float, variants: list[str]) -> None:
    print(f"worker switches: {' '.join(QUIET_CHROMIUM_ARGS)}")
    async with GreenhouseJobSite() as site:
        with tempfile.TemporaryDirectory(prefix="nyx-mem-") as tmp:
            print(f"{'variant':<20}{'PSS MB':>9}{'RSS MB':>9}{'procs':>7}  google refusals")
            for variant in variants:
                results = [await measure(variant, site, Path(tmp), settle) for _ in range(runs)]
                pss = statistics.median(r.pss_mb for r in results)
                rss = statistics.median(r.rss_mb for r in results)
                procs = statistics.median(r.processes for r in results)
                hosts = {h for r in results for h in r.refused_hosts}
                print(f"{variant:<20}{pss:>9.0f}{rss:>9.0f}{procs:>7.0f}  {', '.join(sorted(hosts)) or 'none'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds between filling and measuring")
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main(**vars(parser.parse_args())))
