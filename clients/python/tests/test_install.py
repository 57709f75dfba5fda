"""The package installs offline into a fresh venv that sees the system's Debian packages."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def test_installs_into_a_fresh_venv_and_imports(tmp_path):
    # A copy, so the in-tree build (build/, *.egg-info) does not litter the repository.
    source = tmp_path / "src"
    shutil.copytree(PACKAGE_ROOT, source, ignore=shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    venv = tmp_path / "v"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--no-deps", "--no-build-isolation", "--no-index", str(source)],
        capture_output=True,
        text=True,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import agent_hub, sys; print(agent_hub.__file__); print(agent_hub.__version__); print(agent_hub.AgentClient.__name__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert probe.returncode == 0, probe.stderr
    where, version, name = probe.stdout.split()
    assert where.startswith(str(venv)), where
    assert version == "0.1.0" and name == "AgentClient"
