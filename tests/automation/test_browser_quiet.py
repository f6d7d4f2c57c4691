"""Chromium stays quiet: while a session fills an application on a local page, nothing it does on its own
leaves the machine. The egress proxy's log is the record of what tried to go out; Chromium's own network
log (`--log-net-log`) shows that the two requests no switch stops (SILENCED_HOSTS) were attempted and
failed inside Chromium, without a connection."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from automation.adapters import open_application
from automation.adapters.base import ApplicantFiles
from automation.browser import SILENCED_HOSTS, BrowserOptions, open_browser
from automation.egress import EgressProxy
from storage.models import Profile

pytestmark = pytest.mark.browser

PROFILE = Profile(
    first_name="Ada", last_name="Lovelace", email="ada@example.org", phone="+44 20 7946 0000", location="London, UK"
)
GOOGLE = ("google.com", "googleapis.com", "gstatic.com", "gvt1.com", "googleusercontent.com", "doubleclick.net")


def net_log_events(path: Path) -> list[dict]:
    """The events of a Chromium network log, also when Chromium was killed before closing the JSON."""
    events = []
    for line in path.read_text(errors="replace").splitlines():
        line = line.strip().rstrip(",")
        if line.startswith(('{"params"', '{"phase"', '{"source"')):
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # the last, cut-off line
    return events


def requests_to(events: list[dict], host: str) -> list[str]:
    return [
        e["params"]["url"]
        for e in events
        if "url" in e.get("params", {}) and f"//{host}/" in e["params"]["url"] and "traffic_annotation" in e["params"]
    ]


async def test_an_application_in_the_browser_sends_nothing_of_its_own_out(
    browser_options: BrowserOptions, job_site, tmp_path: Path
):
    net_log = tmp_path / "netlog.json"
    options = dataclasses.replace(browser_options, extra_args=(*browser_options.extra_args, f"--log-net-log={net_log}"))
    egress = EgressProxy(allow_hosts=options.allow_hosts, resolver=options.resolver)
    async with open_browser(options, egress=egress) as browser:
        adapter = await open_application(browser, job_site.posting_url)
        filled = await adapter.fill(browser, PROFILE, ApplicantFiles(resume=None))
        assert filled.find("First Name").actual == "Ada"

    google = sorted({refusal.host for refusal in egress.refusals if refusal.host.endswith(GOOGLE)})
    assert google == [], f"Chromium's own requests reached the egress proxy: {google}"
    assert {refusal.host for refusal in egress.refusals} == set()

    events = net_log_events(net_log)
    # Chromium did try (its start-up chatter happened during the session, so the check above means something)...
    assert requests_to(events, "accounts.google.com"), "no ListAccounts attempt seen: is the net log written?"
    # ...and failed inside it: not through the proxy (above), and not looked up in DNS either.
    for host in SILENCED_HOSTS:
        lookups = [
            e for e in events if host in str(e.get("params", {}).get("host", "")) and "dns_query_type" in e["params"]
        ]
        assert lookups == [], f"{host} was looked up in DNS"
