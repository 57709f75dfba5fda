"""Runs `async def` tests on a fresh event loop each (no pytest-asyncio on Debian), and starts real hubs."""
from __future__ import annotations

import asyncio
import inspect
import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hub_process import HubProcess  # noqa: E402

# No test may hang the suite: a stuck await fails its test instead.
TEST_TIMEOUT_S = 120


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(asyncio.wait_for(pyfuncitem.obj(**args), TEST_TIMEOUT_S))
    return True


@pytest.fixture(scope="module")
def hub() -> Iterator[HubProcess]:
    """A hub on the memory store (fast), shared by the tests of one module."""
    h = HubProcess(env={"STORE": "memory", "LIVENESS_INTERVAL_MS": "500", "LIVENESS_TIMEOUT_MS": "1000", "DEFAULT_REPLAY_POLICY": "critical-only"})
    h.spawn()
    yield h
    h.stop()
