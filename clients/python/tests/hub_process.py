"""A real hub child process (`node --import tsx apps/hub/src/main.ts`), as apps/hub/test/support/hub-process.ts.

Tests can SIGTERM it and start it again on the same port and data directory.
"""
from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Optional

REPO_ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HubProcess:
    def __init__(self, env: Optional[Dict[str, str]] = None, data_dir: Optional[str] = None, port: Optional[int] = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._owns_data_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="agent-hub-py-")
        self.token = secrets.token_urlsafe(18)
        self.agent_secret = secrets.token_urlsafe(18)
        self.env = env or {}
        self.child: Optional[subprocess.Popen] = None
        self._log_path = os.path.join(self.data_dir, "hub-output.log")

    def spawn(self, timeout_s: float = 60.0) -> None:
        env = {
            **os.environ,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "DATA_DIR": self.data_dir,
            "HUB_TOKEN": self.token,
            "AGENT_SECRET": self.agent_secret,
            "LOG_LEVEL": "warn",
            **self.env,
        }
        log = open(self._log_path, "ab")
        self.child = subprocess.Popen(
            ["node", "--import", "tsx", "apps/hub/src/main.ts"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.child.poll() is not None:
                raise RuntimeError(f"hub exited {self.child.returncode} during start:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/ready", timeout=2) as res:
                    if res.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass  # not listening yet
            time.sleep(0.1)
        raise RuntimeError(f"hub not ready within {timeout_s} s:\n{self.output()}")

    def output(self) -> str:
        try:
            return Path(self._log_path).read_text(errors="replace")[-20_000:]
        except OSError:
            return ""

    def terminate(self, timeout_s: float = 20.0) -> Optional[int]:
        """SIGTERM (a graceful stop), SIGKILL after `timeout_s`; answers the exit code."""
        if self.child is None or self.child.poll() is not None:
            return self.child.returncode if self.child else None
        self.child.send_signal(signal.SIGTERM)
        try:
            return self.child.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.child.kill()
            return self.child.wait()

    def stop(self) -> None:
        self.terminate()
        if self._owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """An operator call (blocking; wrap in `asyncio.to_thread` from async tests)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("authorization", f"Bearer {self.token}")
        if data is not None:
            req.add_header("content-type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                raw = res.read()
        except urllib.error.HTTPError as err:
            raise AssertionError(f"{method} {path} answered {err.code}: {err.read().decode(errors='replace')}") from None
        return json.loads(raw) if raw else None

    async def aapi(self, method: str, path: str, body: Any = None) -> Any:
        return await asyncio.to_thread(self.api, method, path, body)
