"""A Chromium that exits while starting is started once more, in a fresh profile; one that keeps
exiting is reported, and nothing of either attempt is left behind."""

from __future__ import annotations

import dataclasses
import logging
import stat
from pathlib import Path

import pytest

from automation.browser import START_ATTEMPTS, BrowserOptions, BrowserUnavailable, open_browser
from tests.plugins.browser import CHROMIUM

pytestmark = pytest.mark.browser


def chromium_that_exits(tmp_path: Path, times: int) -> tuple[Path, Path]:
    """A launcher that exits at once on its first `times` starts, then runs the real Chromium; and the
    file it writes a line to on each start."""
    starts = tmp_path / "starts"
    launcher = tmp_path / "chromium"
    launcher.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{starts}"\n'
        f'if [ "$(wc -l < "{starts}")" -le {times} ]; then echo "crashed on purpose" >&2; exit 1; fi\n'
        f'exec "{CHROMIUM}" "$@"\n'
    )
    launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR)
    return launcher, starts


async def test_a_chromium_that_exits_while_starting_is_started_once_more(
    browser_options: BrowserOptions, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    launcher, starts = chromium_that_exits(tmp_path, times=1)
    options = dataclasses.replace(browser_options, executable_path=str(launcher))
    with caplog.at_level(logging.WARNING, logger="automation.browser"):
        async with open_browser(options) as browser:
            page = await browser.get_current_page()
            assert await page.evaluate("() => 6 * 7") == "42"
            assert len(list(options.profiles_dir.iterdir())) == 1, "the failed start's profile is gone"
    assert len(starts.read_text().splitlines()) == 2
    assert any("did not start" in r.getMessage() and "once more" in r.getMessage() for r in caplog.records)
    assert list(options.profiles_dir.iterdir()) == []


async def test_a_chromium_that_keeps_exiting_is_reported_after_the_second_start(
    browser_options: BrowserOptions, tmp_path: Path
):
    launcher, starts = chromium_that_exits(tmp_path, times=START_ATTEMPTS)
    options = dataclasses.replace(browser_options, executable_path=str(launcher))
    with pytest.raises(BrowserUnavailable, match="did not start"):
        async with open_browser(options):
            pytest.fail("no browser should have started")
    assert len(starts.read_text().splitlines()) == START_ATTEMPTS
    assert list(options.profiles_dir.iterdir()) == []
