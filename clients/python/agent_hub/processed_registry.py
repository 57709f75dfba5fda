"""Which event ids a subscriber has handled, so a redelivered or replayed event runs no handler twice."""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable


class ProcessedRegistry:
    """Bounded (LRU by insertion, 10,000 ids by default), swept of ids older than `max_age_s` by `sweep()`."""

    def __init__(self, capacity: int = 10_000, max_age_s: float = 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._capacity = capacity
        self._max_age_s = max_age_s
        self._clock = clock
        self._seen: "OrderedDict[str, float]" = OrderedDict()

    def __contains__(self, event_id: str) -> bool:
        return event_id in self._seen

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, event_id: str) -> None:
        self._seen.pop(event_id, None)
        self._seen[event_id] = self._clock()
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)

    def sweep(self) -> int:
        cutoff = self._clock() - self._max_age_s
        removed = 0
        while self._seen:
            event_id, at = next(iter(self._seen.items()))
            if at >= cutoff:
                break  # insertion order is age order
            del self._seen[event_id]
            removed += 1
        return removed
