"""When to try reconnecting (protocol.md, "Reconnecting", steps 2 and 3)."""
from __future__ import annotations

import random as _random
from typing import Callable, Optional

# After a graceful stop the node is back within seconds and a refused connect costs it nothing:
# retries stay 0.5–1.5 s apart instead of backing off to the normal cap.
RESTART_RETRY_MIN_S = 0.5
RESTART_RETRY_MAX_S = 1.5


class ReconnectSchedule:
    """Exponential backoff with jitter; a `hub:shutdown` notice sets the first delay exactly."""

    def __init__(self, min_s: float = 0.5, max_s: float = 5.0, jitter: float = 0.5, random: Callable[[], float] = _random.random) -> None:
        self.min_s = min_s
        self.max_s = max_s
        self._jitter = jitter
        self._random = random
        self._announced: Optional[float] = None
        self._after_shutdown = False

    def shutdown_notice(self, reconnect_after_s: float) -> None:
        """The hub is stopping on purpose and spreads its fleet: wait exactly this long first."""
        self._announced = max(0.0, reconnect_after_s)
        self._after_shutdown = True

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number `attempt` (0 is the first after a drop)."""
        if attempt == 0 and self._announced is not None:
            return self._announced
        if self._after_shutdown:
            return RESTART_RETRY_MIN_S + self._random() * (RESTART_RETRY_MAX_S - RESTART_RETRY_MIN_S)
        base = min(self.max_s, self.min_s * 2 ** min(attempt, 16))
        spread = base * self._jitter * (2 * self._random() - 1)
        return max(0.0, min(self.max_s, base + spread))

    def refused_delay(self, retry_after_s: Optional[float] = None) -> float:
        """After a transient handshake refusal (HUB_SHUTTING_DOWN …): what it asks for, else a short random wait."""
        if retry_after_s is not None:
            return retry_after_s
        if self._after_shutdown:
            return RESTART_RETRY_MIN_S + self._random() * (RESTART_RETRY_MAX_S - RESTART_RETRY_MIN_S)
        return self.min_s + self._random() * self.max_s

    def connected(self) -> None:
        """Back to the normal schedule once a connection is made."""
        self._announced = None
        self._after_shutdown = False
