"""Runs handlers for received events one at a time, in arrival order (the SDK's DeliveryQueue)."""
from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import deque
from datetime import datetime
from typing import Any, Awaitable, Callable, Deque, List, Optional, Set

from .models import HubEvent
from .processed_registry import ProcessedRegistry
from .subscriptions import EventHandler, Subscriptions

log = logging.getLogger("agent_hub")

# Acks are cumulative: one per 100 events or 20 ms after the first unacked one, whichever is first.
ACK_EVERY = 100
ACK_DELAY_S = 0.02
# Latency samples reported with an ack (the hub's schema allows 200).
MAX_LATENCIES = 200


class DeliveryQueue:
    """Skips ids already processed, retries a failing handler with backoff, dead-letters it after
    the last attempt, and acks the highest processed offset so a reconnect resumes from there."""

    def __init__(
        self,
        subs: Subscriptions,
        processed: ProcessedRegistry,
        attempts: int,
        backoff_s: float,
        initial_offset: Optional[int],
        ack: Callable[[int, List[float]], None],
        dead_letter: Callable[[HubEvent, int, str], Awaitable[Any]],
        on_error: Callable[[BaseException, HubEvent], None],
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        wall_clock_ms: Callable[[], float] = lambda: time.time() * 1000,
    ) -> None:
        self._subs = subs
        self._processed = processed
        self._attempts = max(1, attempts)
        self._backoff_s = backoff_s
        self._ack = ack
        self._dead_letter = dead_letter
        self._on_error = on_error
        self._sleep = sleep
        self._wall_clock_ms = wall_clock_ms
        self.last_offset: Optional[int] = initial_offset
        self.failed_count = 0
        """Events given up on (dead-lettered) so far."""
        self.replayed_count = 0
        """Replayed events that were new here (ids already processed are not counted)."""
        self._queue: Deque[HubEvent] = deque()
        self._held: List[HubEvent] = []
        self._replayed_ids: Set[int] = set()
        self._holds = 0
        self._pump: Optional[asyncio.Task] = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._unacked = 0
        self._ack_timer: Optional[asyncio.TimerHandle] = None
        self._latencies: List[float] = []

    def push(self, event: HubEvent, live: bool = True) -> None:
        """`live`: delivered as published; a replayed event would report its age, not a latency."""
        if live and len(self._latencies) < MAX_LATENCIES:
            self._latencies.append(max(0.0, self._wall_clock_ms() - _parse_iso_ms(event.get("ts"))))
        if not live:
            self._replayed_ids.add(id(event))
        (self._held if self._holds > 0 else self._queue).append(event)
        self._kick()

    def push_many(self, events: List[HubEvent]) -> None:
        """An `events` message: a replay page while a subscribe is in flight (replayed events arrive
        before its ack), else live events the hub accepted together (protocol 3)."""
        live = self._holds == 0
        for event in events:
            self.push(event, live=live)

    def hold(self) -> None:
        """Live events wait until `release()` (a subscribe's replay arrives before its ack)."""
        self._holds += 1

    def release(self) -> None:
        self._holds -= 1
        if self._holds > 0:
            return
        self._held.sort(key=lambda e: e["offset"])
        self._queue.extend(self._held)
        self._held = []
        self._kick()

    async def idle(self) -> None:
        """Waits until every event received so far has been handled."""
        await self._idle.wait()

    def flush_ack(self) -> None:
        if self._ack_timer is not None:
            self._ack_timer.cancel()
            self._ack_timer = None
        if self._unacked > 0 and self.last_offset is not None:
            self._ack(self.last_offset, self._latencies)
        self._unacked = 0
        self._latencies = []

    def close(self) -> None:
        if self._ack_timer is not None:
            self._ack_timer.cancel()
            self._ack_timer = None
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()

    def _kick(self) -> None:
        if self._pump is None or self._pump.done():
            if not self._queue:
                self._settle_idle()
                return
            self._idle.clear()
            self._pump = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            while self._queue:
                event = self._queue.popleft()
                replayed = id(event) in self._replayed_ids
                self._replayed_ids.discard(id(event))
                if event["id"] not in self._processed:
                    if replayed:
                        self.replayed_count += 1
                    for handler in self._subs.handlers_for(event["topic"]):
                        await self._run_handler(handler, event)
                    self._processed.add(event["id"])
                self._advance(event["offset"])
        finally:
            self._settle_idle()

    def _settle_idle(self) -> None:
        if not self._queue and not self._held:
            self._idle.set()

    async def _run_handler(self, handler: EventHandler, event: HubEvent) -> None:
        attempt = 1
        while True:
            try:
                result = handler(event)
                if inspect.isawaitable(result):
                    await result
                return
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - a handler may raise anything
                if attempt >= self._attempts:
                    self.failed_count += 1
                    try:
                        await self._dead_letter(event, attempt, (str(err) or type(err).__name__)[:2000])
                    except Exception as nack_err:  # noqa: BLE001 - the nack is best effort
                        log.warning("event:nack failed", extra={"eventId": event["id"], "error": str(nack_err)})
                    self._on_error(err, event)
                    return
                # Exponential backoff: 100 ms, 200 ms … by default.
                await self._sleep(self._backoff_s * 2 ** (attempt - 1))
                attempt += 1

    def _advance(self, offset: int) -> None:
        if self.last_offset is not None and offset <= self.last_offset:
            return
        self.last_offset = offset
        self._unacked += 1
        if self._unacked >= ACK_EVERY:
            self.flush_ack()
            return
        if self._ack_timer is None:
            self._ack_timer = asyncio.get_running_loop().call_later(ACK_DELAY_S, self.flush_ack)


def _parse_iso_ms(ts: Any) -> float:
    if not isinstance(ts, str):
        return 0.0
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000
    except ValueError:
        return 0.0
