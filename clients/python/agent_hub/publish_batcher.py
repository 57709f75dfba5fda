"""Publishes sent in the same turn of the event loop go as one `event:publish-batch` (the SDK's
PublishBatcher; protocol.md, "Publishing in batches").

A burst (`asyncio.gather` of publishes, or the re-sends after a reconnect) costs the hub, and this
process, one frame and one ack instead of one each. Only small events are batched, at most
BATCH_BYTES of JSON per batch, which stays below the hub's hard frame cap whatever its settings;
a lone publish still goes as `event:publish`. A hub that does not know batches (an older node,
answering NOT_FOUND) gets single publishes until the next connection.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from .errors import HubError
from .models import PublishResult

# A batch's events together are at most this many bytes of JSON: the hub's hard frame cap is four
# times its SOCKET_MAX_PAYLOAD_BYTES, which cannot be set below 1,024.
BATCH_BYTES = 4000
# An event larger than this is sent alone.
EVENT_BYTES = 1024
# Most events in one batch.
BATCH_EVENTS = 100
# Refusals of a whole batch after which its events are sent one by one: each gets its own verdict.
SEND_SINGLY = frozenset({"NOT_FOUND", "VALIDATION_FAILED", "PAYLOAD_TOO_LARGE"})

Single = Callable[[Dict[str, Any]], Awaitable[PublishResult]]
Batch = Callable[[List[Dict[str, Any]]], Awaitable[List[Any]]]


def json_bytes(payload: Dict[str, Any]) -> Optional[int]:
    """The event's size as python-socketio writes it (compact, ASCII-escaped), or None when it
    cannot be written as JSON (sent alone, so the error is the single publish's, as before)."""
    try:
        return len(json.dumps(payload, separators=(",", ":")))
    except (TypeError, ValueError):
        return None


class PublishBatcher:
    def __init__(self, single: Single, batch: Batch) -> None:
        """`single` sends one `event:publish` and returns its data; `batch` sends one
        `event:publish-batch` and returns its `results` (one ack per event, in order)."""
        self._single = single
        self._batch = batch
        self._pending: List[Tuple[Dict[str, Any], "asyncio.Future[PublishResult]"]] = []
        self._pending_bytes = 0
        self._flush_queued = False
        self._supported = True
        self._tasks: set = set()

    def reset(self) -> None:
        """A new connection, maybe to another node: try batches again."""
        self._supported = True

    def close(self) -> None:
        """Stops the sends in flight (the client is closing; the window fails their publishes)."""
        for _, future in self._pending:
            future.cancel()
        self._pending, self._pending_bytes = [], 0
        for task in list(self._tasks):
            task.cancel()

    async def send(self, payload: Dict[str, Any]) -> PublishResult:
        size = json_bytes(payload) if self._supported else None
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[PublishResult]" = loop.create_future()
        if size is None or size > EVENT_BYTES:
            # What was published before it goes first: tasks run, and so write, in creation order.
            self._flush()
            self._spawn(self._send_singly(payload, future))
            return await future
        if self._pending_bytes + size > BATCH_BYTES or len(self._pending) >= BATCH_EVENTS:
            self._flush()
        self._pending.append((payload, future))
        self._pending_bytes += size
        if not self._flush_queued:
            # After the callbacks already queued: the other publishes of this turn join first.
            self._flush_queued = True
            loop.call_soon(self._flush_soon)
        return await future

    def _flush_soon(self) -> None:
        self._flush_queued = False
        self._flush()

    def _flush(self) -> None:
        items, self._pending, self._pending_bytes = self._pending, [], 0
        if not items:
            return
        if len(items) == 1 or not self._supported:
            for payload, future in items:
                self._spawn(self._send_singly(payload, future))
        else:
            self._spawn(self._send_batch(items))

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_singly(self, payload: Dict[str, Any], future: "asyncio.Future[PublishResult]") -> None:
        try:
            result = await self._single(payload)
        except Exception as err:  # noqa: BLE001 - the publisher's to sort
            _fail(future, err)
            return
        if not future.done():
            future.set_result(result)

    async def _send_batch(self, items: List[Tuple[Dict[str, Any], "asyncio.Future[PublishResult]"]]) -> None:
        try:
            results = await self._batch([payload for payload, _ in items])
        except HubError as err:
            if err.code not in SEND_SINGLY:
                for _, future in items:
                    _fail(future, err)
                return
            # An older hub: single publishes from now on (until the next connection).
            if err.code == "NOT_FOUND":
                self._supported = False
            for payload, future in items:
                self._spawn(self._send_singly(payload, future))
            return
        except Exception as err:  # noqa: BLE001 - each publish fails with it
            for _, future in items:
                _fail(future, err)
            return
        for i, (_, future) in enumerate(items):
            ack = results[i] if isinstance(results, list) and i < len(results) else None
            if isinstance(ack, dict) and ack.get("ok") is True:
                if not future.done():
                    future.set_result(ack.get("data"))  # type: ignore[arg-type]
            elif isinstance(ack, dict) and ack.get("ok") is False:
                _fail(future, HubError.from_body(ack.get("error")))
            else:
                _fail(future, HubError("INTERNAL", f"the hub answered {len(results) if isinstance(results, list) else 0} of a batch of {len(items)} publishes"))


def _fail(future: "asyncio.Future[PublishResult]", err: BaseException) -> None:
    if not future.done():
        future.set_exception(err)
