"""The installed project is the one in the repository: the wheel that the image installs
(`pip install --no-deps .`) carries every file the packages read at run time, not only modules.

The tests run against an editable install, which reads such files from the checkout, so a file left
out of the wheel only showed in the container (`bot/live_view.html`: the bot crashed at start).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "automation", "storage", "scheduler")


def _tracked(*paths: str) -> list[str]:
    listed = subprocess.run(["git", "ls-files", *paths], cwd=ROOT, check=True, capture_output=True, text=True)
    return listed.stdout.split()


def test_the_wheel_carries_every_file_of_the_packages(tmp_path: Path) -> None:
    # Built from a fresh copy of what git tracks, as the image's build context is: a build in the
    # checkout would reuse its egg-info, whose list of sources remembers files the config left out.
    source, wheels = tmp_path / "source", tmp_path / "wheels"
    for path in _tracked("pyproject.toml", "README.md", *PACKAGES):
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, source / path)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(wheels),
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = wheels.glob("nyx_venatrix-*.whl")
    in_wheel = set(zipfile.ZipFile(wheel).namelist())

    missing = [path for path in _tracked(*PACKAGES) if path not in in_wheel]

    assert missing == []
    assert "bot/live_view.html" in in_wheel and "storage/migrations/0001_initial.sql" in in_wheel
