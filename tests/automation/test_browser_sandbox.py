"""Chromium keeps its sandbox in a container: browser-use's container defaults lose their sandbox
switches, which are passed only when the sandbox is off (root outside a container)."""

from __future__ import annotations

from pathlib import Path

import pytest

import automation.browser as browser_module
from automation.browser import SANDBOX_OFF_ARGS, BrowserOptions, _build_session

CHROMIUM = "/usr/bin/chromium"


def launch_args(tmp_path: Path) -> list[str]:
    session = _build_session(BrowserOptions(executable_path=CHROMIUM), CHROMIUM, tmp_path / "profile", 12345)
    return session.browser_profile.get_args()


@pytest.mark.parametrize("root", [False, True])
def test_sandbox_switches_follow_our_choice_inside_a_container(tmp_path, monkeypatch, root):
    monkeypatch.setenv("IN_DOCKER", "true")  # what browser-use also concludes from /.dockerenv
    monkeypatch.setattr(browser_module, "_running_as_root", lambda: root)
    args = launch_args(tmp_path)
    if root:
        assert set(SANDBOX_OFF_ARGS) <= set(args), "root cannot run Chromium with its sandbox"
    else:
        assert not set(SANDBOX_OFF_ARGS) & set(args), "an unprivileged user keeps the sandbox, container or not"
        assert "--disable-dev-shm-usage" in args  # the rest of the container defaults still apply
