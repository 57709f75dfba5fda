"""A small listener table for the client's own notices ('resumed', 'disconnected', 'group:turn' …)."""
from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, Callable, Dict, List, Set

log = logging.getLogger("agent_hub")

Listener = Callable[..., Any]


class Listeners:
    def __init__(self) -> None:
        self._by_name: Dict[str, List[Listener]] = {}
        self._tasks: Set[asyncio.Task] = set()

    def on(self, name: str, fn: Listener) -> None:
        self._by_name.setdefault(name, []).append(fn)

    def off(self, name: str, fn: Listener) -> None:
        fns = self._by_name.get(name, [])
        if fn in fns:
            fns.remove(fn)

    def count(self, name: str) -> int:
        return len(self._by_name.get(name, []))

    def emit(self, name: str, *args: Any) -> None:
        """Calls each listener; a coroutine listener runs as its own task. Errors are logged, not raised."""
        for fn in list(self._by_name.get(name, [])):
            try:
                result = fn(*args)
            except Exception:  # noqa: BLE001 - one listener must not break the others
                log.exception("listener failed", extra={"notice": name})
                continue
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._done)

    def clear(self) -> None:
        self._by_name.clear()

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("listener failed", exc_info=task.exception())
