"""How well `nyx fill` does on saved real vendor pages, and how fast: per page, per vendor, overall.

Every folder of shared/ats-real/ with an expected.yaml is served on 127.0.0.1 (nothing leaves
the machine) and filled `--runs` times by exactly what `nyx fill` runs (`automation.dry_run.dry_run`)
with the applicant of tests/fixtures/real_pages/profile.yaml, each time in a fresh headed Chromium.
Per page it prints

* fillable fields right / total: the fields of expected.yaml the profile can fill that show the
  expected value once the run ends (read from the page, not from what the filler reports);
* must-not violations: fields that had to stay empty (honeypots, marketing or future-contact
  consents, questions the profile cannot answer) but were filled, plus every form the page sent
  or tried to send;
* LLM calls: every call through `automation.llm` (should be 0: the profile settles these fields);
* time to fill: from the start of the run (browser start included) until the JSON is ready.

Then (unless `--no-copies`) the local copies of the vendors no adapter of ours was written for
(Breezy HR, Recruitee, Personio, BambooHR, JazzHR, Rippling, Jobvite, iCIMS; `tests/fakes/ats_<vendor>.py`) go
through `open_application` -> `fill` -> `submit`, graded by the POST each copy records against
its `EXPECTED_POST` (résumé compared by bytes); a must-not violation there is a field of its
`MUST_STAY_EMPTY` posted with a value, or anything posted before `submit`. Time to review is from
navigation start until `fill` returns.

Exits 1 below 95 % right overall, on any violation or LLM call, or when a fill takes 10 s or more
(issue 8's numbers). Needs Chromium and an X display:

    xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python -m bench.real_pages [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from automation.browser import BrowserOptions, configure_offline_environment
from bench.ats_accuracy import LLMCalls
from tests.fakes import (
    ats_bamboohr,
    ats_breezy,
    ats_icims,
    ats_jazzhr,
    ats_jobvite,
    ats_personio,
    ats_recruitee,
    ats_rippling,
)
from tests.fakes.fill_flow import applicant_with_resume, filled_form
from tests.fakes.real_pages import applicant, corpus_pages, grade, load_expectations, observed_fill
from tests.plugins.browser import LOCAL_HOSTS, OFFLINE_ARGS, offline_resolver

# browser-use reads this environment when it is first imported, which happens later (open_browser sets it too).
configure_offline_environment()

CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
MIN_ACCURACY = 0.95
MAX_FILL_S = 10.0
POST_TIMEOUT_S = 30.0
COPIES = (
    (ats_breezy.BreezyJobSite, ats_breezy),
    (ats_recruitee.RecruiteeJobSite, ats_recruitee),
    (ats_personio.PersonioJobSite, ats_personio),
    (ats_bamboohr.BambooHRJobSite, ats_bamboohr),
    (ats_jazzhr.JazzHRJobSite, ats_jazzhr),
    (ats_rippling.RipplingJobSite, ats_rippling),
    # Through its data consent and its two steps (the consent required to apply is given as a step).
    (ats_jobvite.JobviteJobSite, ats_jobvite),
    (ats_icims.IcimsJobSite, ats_icims),
)


@dataclass
class PageRun:
    right: int
    total: int
    violations: list[str]
    llm_calls: int
    seconds: float
    filled_by: str  # the adapter nyx fill used, or why it stopped
    wrong: list[str] = field(default_factory=list)


@dataclass
class PageRow:
    folder: str
    vendor: str
    runs: list[PageRun] = field(default_factory=list)

    @property
    def right(self) -> int:
        return sum(r.right for r in self.runs)

    @property
    def total(self) -> int:
        return sum(r.total for r in self.runs)

    @property
    def violations(self) -> int:
        return sum(len(r.violations) for r in self.runs)

    @property
    def llm_calls(self) -> int:
        return sum(r.llm_calls for r in self.runs)


async def run_page(folder: str, options: BrowserOptions, calls: LLMCalls) -> PageRun:
    expectations = load_expectations(folder)
    before = calls.count
    observed = await observed_fill(folder, options)
    graded = grade(expectations, observed.controls, applicant()[1].filename)
    fillable = [r for r in graded.results if not r.expected.empty]
    violations = [f"{r.expected.description}: {r.problem}" for r in graded.results if r.expected.empty and not r.ok]
    violations += [f"form sent: {target}" for target in observed.submissions]
    filled_by = observed.run.ats if observed.run else f"{type(observed.error).__name__}"
    return PageRun(
        right=sum(r.ok for r in fillable),
        total=len(fillable),
        violations=violations,
        llm_calls=calls.count - before,
        seconds=observed.seconds,
        filled_by=filled_by,
        wrong=[f"{r.expected.description}: {r.problem}" for r in fillable if not r.ok],
    )


@dataclass
class CopyRun:
    vendor: str
    filled_by: str
    right: int
    total: int
    violations: list[str]
    wrong: list[str]
    llm_calls: int
    review_s: float


async def run_copy(site_class: Any, module: Any, options: BrowserOptions, calls: LLMCalls, folder: Path) -> CopyRun:
    """One application on a vendor copy: fill, submit once, grade the POST it records."""
    profile, resume, content = applicant_with_resume(folder)
    # The page's own hidden fields are not answers: they would score without any filling.
    expected = {k: v for k, v in module.EXPECTED_POST.items() if k not in getattr(module, "BOOKKEEPING", {})}
    before = calls.count
    filled_by, review_s, early, submission = "", 0.0, 0, None
    async with site_class() as site:
        started = time.perf_counter()
        try:
            async with filled_form(site.posting_url, options, profile, resume) as filled:
                review_s = time.perf_counter() - started
                filled_by = filled.adapter.name
                early = len(site.submissions) + site.rejected_posts
                await filled.submit()
                submission = await site.wait_for_submission(timeout=POST_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - a failed run is a row with what went wrong
            filled_by = filled_by or type(exc).__name__
            review_s = review_s or time.perf_counter() - started
            early = early or len(site.submissions) + site.rejected_posts
    fields = submission.fields if submission else {}
    files = submission.files if submission else {}
    wrong = [f"{name}: {fields.get(name)!r}" for name, value in expected.items() if fields.get(name) != value]
    if files.get(module.RESUME_FIELD, ("", b""))[1] != content:
        wrong.append(f"{module.RESUME_FIELD}: résumé missing or different")
    total = len(expected) + 1
    if digits := getattr(module, "PHONE_DIGITS", None):  # a phone typed beside a country picker
        total += 1
        if not re.sub(r"\D", "", str(fields.get("phone_number", ""))).endswith(digits):
            wrong.append(f"phone_number: {fields.get('phone_number')!r}")
    violations = [f"{name}: {fields[name]!r}" for name in module.MUST_STAY_EMPTY if fields.get(name)]
    if early:
        violations.append(f"{early} POST(s) before submit")
    return CopyRun(
        module.__name__.rsplit("_", 1)[-1],
        filled_by,
        total - len(wrong),
        total,
        violations,
        wrong,
        calls.count - before,
        review_s,
    )


def report_copies(runs: list[CopyRun]) -> bool:
    print("\nLocal copies of vendors without an adapter of ours, graded by the POST:\n")
    print("| vendor copy | filled by | fields right | must-not violations | LLM calls | time to review s |")
    print("|---|---|---|---|---|---|")
    for run in runs:
        print(
            f"| {run.vendor} | {run.filled_by} | {_pct(run.right, run.total)} | {len(run.violations)} | "
            f"{run.llm_calls} | {run.review_s:.1f} |"
        )
    right, total = sum(r.right for r in runs), sum(r.total for r in runs)
    print(
        f"| **all** | | {_pct(right, total)} | {sum(len(r.violations) for r in runs)} | "
        f"{sum(r.llm_calls for r in runs)} | |"
    )
    notes = sorted({f"{r.vendor}: {w}" for r in runs for w in (*r.wrong, *r.violations)})
    if notes:
        print("\nNot right:\n" + "\n".join(f"- {n}" for n in notes))
    ok = right == total and not any(r.violations or r.llm_calls for r in runs)
    print(f"\ngate: every expected field posted right, no violation, no LLM call: {'PASS' if ok else 'FAIL'}")
    return ok


def _pct(right: int, total: int) -> str:
    return f"{right / max(1, total):.0%} ({right}/{total})"


def report(rows: list[PageRow], runs: int) -> bool:
    print(f"\nReal pages: {runs} run(s) per page, headed Chromium {CHROMIUM}, {os.cpu_count()} cores, 127.0.0.1 only\n")
    print(
        "| page | vendor | filled by | fields right | must-not violations | LLM calls | time to fill s, median (max) |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        times = [r.seconds for r in row.runs]
        filled_by = "/".join(sorted({r.filled_by for r in row.runs}))
        print(
            f"| {row.folder} | {row.vendor} | {filled_by} | {_pct(row.right, row.total)} | {row.violations} | "
            f"{row.llm_calls} | {statistics.median(times):.1f} ({max(times):.1f}) |"
        )
    by_vendor: dict[str, list[PageRow]] = defaultdict(list)
    for row in rows:
        by_vendor[row.vendor].append(row)
    print("\n| vendor | pages | fields right | must-not violations | LLM calls | time to fill s, median (max) |")
    print("|---|---|---|---|---|---|")
    for vendor, vendor_rows in sorted(by_vendor.items()):
        times = [r.seconds for row in vendor_rows for r in row.runs]
        print(
            f"| {vendor} | {len(vendor_rows)} | {_pct(sum(r.right for r in vendor_rows), sum(r.total for r in vendor_rows))}"
            f" | {sum(r.violations for r in vendor_rows)} | {sum(r.llm_calls for r in vendor_rows)} | "
            f"{statistics.median(times):.1f} ({max(times):.1f}) |"
        )
    right, total = sum(r.right for r in rows), sum(r.total for r in rows)
    violations, llm_calls = sum(r.violations for r in rows), sum(r.llm_calls for r in rows)
    times = [r.seconds for row in rows for r in row.runs]
    print(
        f"| **all** | {len(rows)} | {_pct(right, total)} | {violations} | {llm_calls} | "
        f"{statistics.median(times):.1f} ({max(times):.1f}) |"
    )
    wrong = sorted({f"{row.folder}: {w}" for row in rows for r in row.runs for w in (*r.wrong, *r.violations)})
    if wrong:
        print("\nNot right:\n" + "\n".join(f"- {w}" for w in wrong))
    ok = right >= MIN_ACCURACY * total and violations == 0 and llm_calls == 0 and max(times) < MAX_FILL_S
    print(
        f"\ngate: >= {MIN_ACCURACY:.0%} right, no violation, no LLM call, every fill < {MAX_FILL_S:g} s: "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return ok


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON instead of tables")
    parser.add_argument("--no-copies", action="store_true", help="skip the local copies of the other vendors")
    parser.add_argument("pages", nargs="*", help="page folders (default: every page with expectations)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger().setLevel(logging.ERROR)
    calls = LLMCalls()
    rows: list[PageRow] = []
    with tempfile.TemporaryDirectory(prefix="nyx-bench-real-") as tmp:
        options = BrowserOptions(
            executable_path=CHROMIUM,
            headless=False,
            profiles_dir=Path(tmp) / "profiles",
            extra_args=OFFLINE_ARGS,
            allow_hosts=LOCAL_HOSTS,
            resolver=offline_resolver,
            start_timeout_s=60,
        )
        for folder in args.pages or corpus_pages():
            row = PageRow(folder, load_expectations(folder).vendor)
            for _ in range(args.runs):
                row.runs.append(await run_page(folder, options, calls))
            rows.append(row)
        copies = (
            []
            if args.no_copies
            else [await run_copy(site_class, module, options, calls, Path(tmp)) for site_class, module in COPIES]
        )
    if args.json:
        print(
            json.dumps(
                {
                    "pages": [{**asdict(row), "right": row.right, "total": row.total} for row in rows],
                    "copies": [asdict(run) for run in copies],
                },
                indent=2,
            )
        )
        right, total = sum(r.right for r in rows), sum(r.total for r in rows)
        violations = sum(r.violations for r in rows)
        times = [r.seconds for row in rows for r in row.runs]
        ok = (
            right >= MIN_ACCURACY * total
            and violations == 0
            and sum(r.llm_calls for r in rows) == 0
            and max(times) < MAX_FILL_S
        )
        return 0 if ok else 1
    pages_ok = report(rows, args.runs)
    copies_ok = report_copies(copies) if copies else True
    return 0 if pages_ok and copies_ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
