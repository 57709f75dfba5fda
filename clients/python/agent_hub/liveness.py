"""The answer to the hub's `liveness:probe` (protocol.md, "Agent health")."""
from __future__ import annotations

import inspect
import time
from datetime import datetime, timezone
from typing import Awaitable, Callable, Optional, Union

from .models import LivenessReport

LivenessCheck = Callable[[], Union[LivenessReport, Awaitable[LivenessReport]]]


class LivenessResponder:
    """Answers from `check` when given; else healthy unless `progress()` is older than `stale_s`."""

    def __init__(self, check: Optional[LivenessCheck], stale_s: Optional[float], pending_publishes: Callable[[], int], clock: Callable[[], float] = time.time) -> None:
        self._check = check
        self._stale_s = stale_s
        self._pending_publishes = pending_publishes
        self._clock = clock
        self._last_progress_at = clock()

    def progress(self) -> None:
        self._last_progress_at = self._clock()

    async def answer(self, _probe: object = None) -> LivenessReport:
        # The window's depth rides along: the hub's agenthub_agent_publish_window_depth metric.
        pending = self._pending_publishes()
        try:
            if self._check is not None:
                report = self._check()
                if inspect.isawaitable(report):
                    report = await report
                return {**report, "pendingPublishes": pending}  # type: ignore[misc]
            ok = self._stale_s is None or self._clock() - self._last_progress_at < self._stale_s
            at = datetime.fromtimestamp(self._last_progress_at, tz=timezone.utc).isoformat().replace("+00:00", "Z")
            return {"ok": ok, "lastProgressAt": at, "pendingPublishes": pending}
        except Exception as err:  # noqa: BLE001 - a failing check is an unhealthy answer
            return {"ok": False, "detail": str(err)[:1000], "pendingPublishes": pending}
