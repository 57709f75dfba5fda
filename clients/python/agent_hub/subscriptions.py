"""The local pattern → handler table: one event may match several patterns, each handler runs once."""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Optional, Union

from .models import HubEvent
from .topics import topic_matches

EventHandler = Callable[[HubEvent], Union[Awaitable[Any], Any]]


class Subscriptions:
    def __init__(self) -> None:
        # Dicts as ordered sets: handlers run in the order they subscribed.
        self._by_pattern: Dict[str, Dict[EventHandler, None]] = {}

    def add(self, patterns: List[str], handler: EventHandler) -> None:
        for p in patterns:
            self._by_pattern.setdefault(p, {})[handler] = None

    def remove(self, patterns: List[str], handler: Optional[EventHandler] = None) -> List[str]:
        """Drops `handler` (or every handler) from `patterns`; answers the patterns now unused."""
        gone: List[str] = []
        for p in patterns:
            handlers = self._by_pattern.get(p)
            if handlers is None:
                continue
            if handler is not None:
                handlers.pop(handler, None)
            if handler is None or not handlers:
                del self._by_pattern[p]
                gone.append(p)
        return gone

    def handlers_for(self, topic: str) -> List[EventHandler]:
        out: Dict[EventHandler, None] = {}
        for pattern, handlers in self._by_pattern.items():
            if topic_matches(pattern, topic):
                out.update(handlers)
        return list(out)

    def patterns(self) -> List[str]:
        return list(self._by_pattern)
