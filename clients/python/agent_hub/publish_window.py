"""The publisher's side of at-least-once (the SDK's PublishWindow).

Every publish keeps its id and stays here until the hub says it is durable — by its ack, or later
by an `event:durable` notice when the store was down. After the agent registers again, everything
still here is re-sent with the same ids and `retry: true`, in the original order, before anything
new (protocol.md, "Re-sends"). The window is bounded: `publish()` waits for a slot.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any, Awaitable, Callable, Deque, Dict, List, Optional

from .errors import HubError
from .models import PublishResult

# Codes after which the same publish may succeed later: it stays in the window and is re-sent.
TRANSIENT = frozenset({"REQUEST_TIMEOUT", "STORE_UNAVAILABLE", "HUB_SHUTTING_DOWN", "AGENT_NOT_REGISTERED", "RATE_LIMITED", "HUB_DEGRADED"})
# Of those, the hub's refusals: it answered, so it did not take the event.
REFUSED = frozenset({"HUB_SHUTTING_DOWN", "AGENT_NOT_REGISTERED", "RATE_LIMITED", "HUB_DEGRADED", "STORE_UNAVAILABLE"})


class _Entry:
    __slots__ = ("input", "sent", "accepted", "attempt", "future", "deadline")

    def __init__(self, payload: Dict[str, Any], future: "asyncio.Future[PublishResult]", deadline: float) -> None:
        self.input = payload
        # A send may have reached a hub (no answer came, or it was accepted): any later send is a
        # re-send the hub checks against its log. A refusal proves it did not.
        self.sent = False
        # Acked `durable: false`: queued on the hub, an `event:durable` notice will follow.
        self.accepted: Optional[PublishResult] = None
        # Bumped on every send; answers to an older send are ignored.
        self.attempt = 0
        self.future = future
        self.deadline = deadline


class PublishWindow:
    def __init__(
        self,
        capacity: int,
        deadline_s: float,
        send: Callable[[Dict[str, Any]], Awaitable[PublishResult]],
        retry_delay_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._capacity = capacity
        self._deadline_s = deadline_s
        self._send_fn = send
        self._retry_delay_s = retry_delay_s
        self._clock = clock
        self._entries: Dict[str, _Entry] = {}  # insertion order is publish order
        # A deque: a burst past the window leaves thousands waiting, and a list's pop(0) copies them all.
        self._slot_waiters: Deque["asyncio.Future[None]"] = deque()
        self._open = False
        self._closing = False
        self._sweeper: Optional[asyncio.Task] = None
        self._tasks: set = set()

    @property
    def depth(self) -> int:
        """Publishes in the window (sent, or waiting for a reconnect)."""
        return len(self._entries)

    async def publish(self, payload: Dict[str, Any]) -> PublishResult:
        while len(self._entries) >= self._capacity:
            waiter: "asyncio.Future[None]" = asyncio.get_running_loop().create_future()
            self._slot_waiters.append(waiter)
            await waiter
        if self._closing:
            raise HubError("REQUEST_TIMEOUT", "the client is closed")
        if payload["id"] in self._entries:
            raise HubError("VALIDATION_FAILED", f'id "{payload["id"]}" is already being published')
        future: "asyncio.Future[PublishResult]" = asyncio.get_running_loop().create_future()
        entry = _Entry(payload, future, self._clock() + self._deadline_s)
        self._entries[payload["id"]] = entry
        self._start_sweeper()
        if self._open:
            self._send(entry)
        return await future

    def resume(self) -> None:
        """The agent is registered (again): re-send everything not durable yet, oldest first."""
        self._open = True
        for entry in list(self._entries.values()):
            self._send(entry)

    def pause(self) -> None:
        """The connection dropped: hold new publishes until `resume()`."""
        self._open = False

    def durable(self, ids: List[str]) -> None:
        """The hub's `event:durable` notice."""
        for event_id in ids:
            entry = self._entries.get(event_id)
            if entry is not None:
                base = entry.accepted or {"id": event_id, "offset": 0, "duplicate": False}
                self._settle(entry, {**base, "durable": True})  # type: ignore[typeddict-item]

    def close(self, err: HubError) -> None:
        self._closing = True
        self._open = False
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for entry in list(self._entries.values()):
            self._fail(entry, err)
        for task in list(self._tasks):
            task.cancel()

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _send(self, entry: _Entry) -> None:
        entry.attempt += 1
        attempt = entry.attempt
        payload = {**entry.input, "retry": True} if entry.sent else entry.input
        was_sent = entry.sent
        entry.sent = True
        self._spawn(self._send_and_settle(entry, attempt, payload, was_sent))

    async def _send_and_settle(self, entry: _Entry, attempt: int, payload: Dict[str, Any], was_sent: bool) -> None:
        try:
            result = await self._send_fn(payload)
        except Exception as err:  # noqa: BLE001 - sorted below by code
            if attempt != entry.attempt or entry.input["id"] not in self._entries:
                return
            code = err.code if isinstance(err, HubError) else "INTERNAL"
            if code not in TRANSIENT:
                self._fail(entry, err)
                return
            if code in REFUSED:
                entry.sent = was_sent
            # Disconnected: `resume()` re-sends it. Still connected (a slow hub, a refusal): retry here.
            wait = _retry_after_s(err) if code == "RATE_LIMITED" else self._retry_delay_s
            await asyncio.sleep(wait)
            if self._open and entry.input["id"] in self._entries and attempt == entry.attempt:
                self._send(entry)
            return
        if attempt != entry.attempt or entry.input["id"] not in self._entries:
            return
        if result.get("durable"):
            self._settle(entry, result)
        else:
            entry.accepted = result

    def _start_sweeper(self) -> None:
        if self._sweeper is None and not self._closing:
            self._sweeper = asyncio.ensure_future(self._sweep())

    async def _sweep(self) -> None:
        """One sweep for every deadline (a timer per publish costs too much at high rates)."""
        every = max(0.01, min(1.0, self._deadline_s / 4))
        try:
            while self._entries:
                await asyncio.sleep(every)
                now = self._clock()
                for entry in list(self._entries.values()):
                    if entry.deadline > now:
                        break  # entries are in publish order, so the oldest come first
                    self._expire(entry)
        finally:
            self._sweeper = None

    def _expire(self, entry: _Entry) -> None:
        event_id = entry.input["id"]
        if entry.accepted is not None:
            err = HubError(
                "STORE_UNAVAILABLE",
                f"event {event_id} was accepted (offset {entry.accepted['offset']}) but not durable within {self._deadline_s:g} s; the hub keeps it queued",
                {"id": event_id, "offset": entry.accepted["offset"]},
            )
        else:
            err = HubError("REQUEST_TIMEOUT", f"event {event_id} was not acknowledged within {self._deadline_s:g} s", {"id": event_id})
        self._fail(entry, err)

    def _settle(self, entry: _Entry, result: PublishResult) -> None:
        self._remove(entry)
        if not entry.future.done():
            entry.future.set_result(result)

    def _fail(self, entry: _Entry, err: BaseException) -> None:
        self._remove(entry)
        if not entry.future.done():
            entry.future.set_exception(err)

    def _remove(self, entry: _Entry) -> None:
        self._entries.pop(entry.input["id"], None)
        while self._slot_waiters:
            waiter = self._slot_waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break


def _retry_after_s(err: BaseException) -> float:
    ms = err.retry_after_ms if isinstance(err, HubError) else None
    return min(ms, 30_000) / 1000 if ms else 1.0
