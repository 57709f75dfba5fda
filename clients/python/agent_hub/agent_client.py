"""An agent's connection to the hub, following docs/protocol.md like the TypeScript SDK's AgentClient.

Registers on every (re)connect, re-sends publishes not yet durable, re-subscribes from the resume
point so missed events are replayed, runs each event's handlers once (dedupe by id), acks
processed offsets, and answers the hub's liveness probes.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from .client_options import ClientOptions
from .delivery_queue import DeliveryQueue
from .errors import FINAL_REFUSALS, HubError
from .hub_connection import HubConnection
from .ids import time_ordered_id
from .listeners import Listeners
from .liveness import LivenessResponder
from .models import AgentInfo, HubEvent, Priority, PublishResult, ReplayPolicy, SubscribeResult
from .processed_registry import ProcessedRegistry
from .publish_batcher import PublishBatcher
from .publish_window import PublishWindow
from .reconnect_schedule import ReconnectSchedule
from .sessions import SessionsApi, without_none
from .subscriptions import EventHandler, Subscriptions

log = logging.getLogger("agent_hub")

# 3: live events accepted together may arrive as one `events` message (DeliveryQueue.push_many).
PROTOCOL_VERSION = 3
# The oldest version this client works with (it relies on 2's watermark, durable notices, re-sends).
MIN_PROTOCOL = 2
# The processed-id registry is swept this often (protocol.md, "Subscribers": swept hourly).
SWEEP_EVERY_S = 3600.0


class AgentClient:
    def __init__(self, options: ClientOptions, schedule: Optional[ReconnectSchedule] = None) -> None:
        self.options = options
        urls = [options.url] if isinstance(options.url, str) else list(options.url)
        if not urls:
            raise HubError("VALIDATION_FAILED", "AgentClient needs at least one hub url")
        self.info: Optional[AgentInfo] = None
        self.listeners = Listeners()
        self.processed = ProcessedRegistry(options.processed_capacity)
        self.sessions = SessionsApi(self.call, options.append_attempts)
        self._subs = Subscriptions()
        self._policies: Dict[str, Optional[ReplayPolicy]] = {}
        self._delivery = DeliveryQueue(
            subs=self._subs,
            processed=self.processed,
            attempts=options.handler_attempts,
            backoff_s=options.handler_backoff_s,
            initial_offset=options.last_offset,
            ack=self._send_ack,
            dead_letter=self._nack,
            on_error=lambda err, event: self.listeners.emit("error", err, event),
        )
        self._conn = HubConnection([u.rstrip("/") for u in urls], self._auth, options.request_timeout_s, self._on_drop)
        # Publishes of one turn go as one batch; the window keeps each until it is durable.
        self._batcher = PublishBatcher(
            single=lambda p: self._conn.request("event:publish", p, options.request_timeout_s),
            batch=self._publish_batch,
        )
        self._window = PublishWindow(capacity=options.max_in_flight, deadline_s=options.publish_deadline_s, send=self._batcher.send)
        self._liveness = LivenessResponder(options.liveness, options.progress_stale_s, lambda: self._window.depth)
        self._schedule = schedule or ReconnectSchedule(options.reconnect_delay_s, options.reconnect_delay_max_s)
        self._watermark: Optional[int] = None
        # What the next handshake offers: the newest version, unless this hub refused it.
        self._protocol = PROTOCOL_VERSION
        self._disconnected_at: Optional[float] = None
        self._final_error: Optional[HubError] = None
        # Open while the hub knows this agent; closed from a drop until re-registration.
        self._registered = asyncio.Event()
        self._dropped = asyncio.Event()
        self._closed = asyncio.Event()
        self._tasks: List[asyncio.Task] = []
        self._acks: set = set()
        self._listen()

    # ---- public face -------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._conn.connected

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    @property
    def last_offset(self) -> Optional[int]:
        """Highest event offset processed so far."""
        return self._delivery.last_offset

    @property
    def watermark(self) -> Optional[int]:
        """The last committed watermark the hub announced (None: none yet)."""
        return self._watermark

    @property
    def resume_offset(self) -> Optional[int]:
        """R = min(highest offset processed, last watermark heard) (protocol.md, "Catch-up").

        Past the watermark an offset may belong to an event another node numbered but had not
        committed; with nothing processed yet, the watermark itself, so the hub replays what was
        published while the agent was away instead of starting "from now".
        """
        last = self._delivery.last_offset
        if last is None:
            return self._watermark
        if self._watermark is None:
            return last
        return min(last, self._watermark)

    @property
    def pending_publishes(self) -> int:
        return self._window.depth

    def on(self, notice: str, fn: Callable[..., Any]) -> None:
        """Listens to 'resumed', 'disconnected', 'closed', 'error', 'hub:shutdown', 'hub:error',
        'restart', 'assigned', 'replayed', 'group:turn', 'group:message', 'group:ended'."""
        self.listeners.on(notice, fn)

    def off(self, notice: str, fn: Callable[..., Any]) -> None:
        self.listeners.off(notice, fn)

    def progress(self) -> None:
        """Marks that the agent's own work loop made progress (feeds the default liveness answer)."""
        self._liveness.progress()

    async def start(self) -> AgentInfo:
        """Connects and registers; raises the hub's typed error if the agent is refused for good.
        Refused connects, handshake timeouts and transient refusals are retried until `connect_timeout_s`."""
        deadline = time.monotonic() + self.options.connect_timeout_s
        attempt = 0
        while True:
            try:
                await self._connect_once()
                break
            except HubError as err:
                if err.code in FINAL_REFUSALS or time.monotonic() >= deadline or self.closed:
                    raise
                await asyncio.sleep(min(self._retry_delay(err, attempt), max(0.0, deadline - time.monotonic())))
                attempt += 1
        self._connected()
        info = await self._register_until(deadline)
        self._registered.set()
        self._tasks = [asyncio.ensure_future(self._supervise()), asyncio.ensure_future(self._sweep_processed())]
        return info

    async def call(self, event: str, payload: Any = None) -> Any:
        """One acked call; waits (up to the request timeout) for a reconnect to re-register first."""
        timeout = self.options.request_timeout_s
        if self.closed:
            raise HubError("REQUEST_TIMEOUT", "the client is closed")
        # Anything but `agent:register` before registration is refused by the hub (AGENT_NOT_REGISTERED).
        if event != "agent:register" and not self._registered.is_set():
            try:
                await asyncio.wait_for(self._registered.wait(), timeout)
            except asyncio.TimeoutError:
                raise HubError("REQUEST_TIMEOUT", f'"{event}" waited {timeout:g} s for the agent to reconnect and register') from None
        return await self._conn.request(event, {} if payload is None else payload, timeout)

    async def publish(self, topic: str, payload: Any, priority: Optional[Priority] = None, id: Optional[str] = None) -> PublishResult:
        """Publishes an event; returns once it is durable in the hub's log.

        The id (yours, or a fresh UUID) makes re-sends idempotent: across a dropped connection or a
        hub restart the event is sent again under the same id until the hub confirms it.
        """
        if self.closed:
            raise HubError("REQUEST_TIMEOUT", "the client is closed")
        event: Dict[str, Any] = {"id": id or time_ordered_id(), "topic": topic, "payload": payload}
        if priority is not None:
            event["priority"] = priority
        return await self._window.publish(event)

    async def subscribe(self, patterns: List[str], handler: EventHandler, policy: Optional[ReplayPolicy] = None, from_offset: Optional[int] = None) -> SubscribeResult:
        """Runs `handler` once per event id on `patterns`; replays what `policy` says after
        `from_offset` (default: the resume point)."""
        self._subs.add(patterns, handler)
        for p in patterns:
            self._policies[p] = policy
        start = from_offset if from_offset is not None else self.resume_offset
        return await self._send_subscribe(patterns, policy, start)

    async def unsubscribe(self, patterns: List[str], handler: Optional[EventHandler] = None) -> None:
        gone = self._subs.remove(patterns, handler)
        for p in gone:
            self._policies.pop(p, None)
        if gone:
            await self.call("event:unsubscribe", {"patterns": gone})

    async def idle(self) -> None:
        """Waits until every event received so far has been handled."""
        await self._delivery.idle()

    async def wait_closed(self) -> Optional[HubError]:
        """Waits until the client is closed; answers why when the hub ended it for good."""
        await self._closed.wait()
        return self._final_error

    async def close(self, drain_s: float = 2.0) -> None:
        """Stops the client; first waits up to `drain_s` for events already received to be handled,
        so their offsets are acked and a later run does not get them again."""
        if self.closed:
            return
        if drain_s > 0 and self._final_error is None:
            try:
                await asyncio.wait_for(self._delivery.idle(), drain_s)
            except asyncio.TimeoutError:
                pass
        self._closed.set()
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        self._delivery.flush_ack()
        if self._acks:
            await asyncio.gather(*self._acks, return_exceptions=True)
        await self._conn.flush()
        self._delivery.close()
        self._window.close(HubError("REQUEST_TIMEOUT", "the client was closed before the hub confirmed this publish"))
        self._batcher.close()
        self._dropped.set()
        await self._conn.close()
        self.listeners.emit("closed", self._final_error)
        self.listeners.clear()

    # ---- hub → agent -------------------------------------------------------------------------

    def _listen(self) -> None:
        on = self._conn.on
        on("event", lambda e: self._delivery.push(e))
        on("events", lambda events: self._delivery.push_many(events))
        on("liveness:probe", self._liveness.answer)
        on("hub:shutdown", self._on_shutdown)
        on("event:watermark", self._on_watermark)
        on("event:durable", self._on_durable)
        on("hub:error", self._on_hub_error)
        on("agent:restart", lambda p: self.listeners.emit("restart", p))
        on("agent:assigned", lambda p: self.listeners.emit("assigned", p))
        for name in ("group:turn", "group:message", "group:ended"):
            on(name, lambda p, _n=name: self.listeners.emit(_n, p))

    def _auth(self) -> Dict[str, Any]:
        # Called on every handshake, so each one carries the resume point reached by then.
        return without_none({"agentId": self.options.agent_id, "token": self.options.token, "protocol": self._protocol, "lastOffset": self.resume_offset})

    async def _publish_batch(self, events: List[Dict[str, Any]]) -> List[Any]:
        data = await self._conn.request("event:publish-batch", {"events": events}, self.options.request_timeout_s)
        return data.get("results") if isinstance(data, dict) else []  # type: ignore[return-value]

    async def _connect_once(self) -> None:
        """One connect attempt. A hub of an older release (a rolling upgrade) refuses this version
        with PROTOCOL_UNSUPPORTED and names those it speaks: offer the newest both speak, at once."""
        try:
            await self._conn.connect_once()
        except HubError as err:
            if err.code != "PROTOCOL_UNSUPPORTED" or not self._downgrade(err.details):
                raise
            await self._conn.connect_once()

    def _downgrade(self, details: Any) -> bool:
        supported = details.get("supported") if isinstance(details, dict) else None
        usable = [v for v in supported if isinstance(v, int) and MIN_PROTOCOL <= v < self._protocol] if isinstance(supported, list) else []
        if not usable:
            return False
        self._protocol = max(usable)
        return True

    def _on_drop(self, final: bool) -> None:
        # The next connection may reach an upgraded node: offer the newest version again.
        self._protocol = PROTOCOL_VERSION
        self._batcher.reset()
        self._registered.clear()
        self._window.pause()
        if self._disconnected_at is None:
            self._disconnected_at = time.time()
        if final and self._final_error is None:
            self._final_error = HubError("AGENT_UNAUTHORIZED", "the hub closed this connection (replaced by a newer connection of the same agent?)")
        self.listeners.emit("disconnected", "io server disconnect" if final else "transport close")
        self._dropped.set()

    def _on_shutdown(self, notice: Any) -> None:
        after = notice.get("reconnectAfterMs") if isinstance(notice, dict) else None
        if isinstance(after, (int, float)) and after >= 0:
            self._schedule.shutdown_notice(after / 1000)
        self.listeners.emit("hub:shutdown", notice)

    def _on_watermark(self, notice: Any) -> None:
        if isinstance(notice, dict) and isinstance(notice.get("offset"), int):
            self._watermark = notice["offset"]

    def _on_durable(self, notice: Any) -> None:
        if isinstance(notice, dict) and isinstance(notice.get("ids"), list):
            self._window.durable([i for i in notice["ids"] if isinstance(i, str)])

    def _on_hub_error(self, notice: Any) -> None:
        # Precedes the hub's final namespace disconnect (replaced connection, revoked token).
        if isinstance(notice, dict) and notice.get("code") == "AGENT_UNAUTHORIZED" and self._final_error is None:
            self._final_error = HubError("AGENT_UNAUTHORIZED", str(notice.get("message", "")))
        self.listeners.emit("hub:error", notice)

    # ---- reconnecting (protocol.md, "Reconnecting") --------------------------------------------

    async def _supervise(self) -> None:
        """Waits for a drop, reconnects on the schedule, then resumes; stops on a final close."""
        while not self.closed:
            await self._dropped.wait()
            if self.closed:
                return
            if self._final_error is not None:
                await self.close()
                return
            await self._reconnect()
            if not self.closed:
                await self._resume_until_done()

    async def _reconnect(self) -> None:
        attempt = 0
        delay = self._schedule.delay(0)
        while not self.closed:
            await asyncio.sleep(delay)
            if self.closed:
                return
            try:
                await self._connect_once()
                self._connected()
                return
            except HubError as err:
                if err.code in FINAL_REFUSALS:
                    self._final_error = err
                    await self.close()
                    return
                attempt += 1
                self._conn.next_url()
                delay = self._retry_delay(err, attempt)
                log.info("reconnect attempt failed", extra={"agentId": self.options.agent_id, "code": err.code, "retryInS": round(delay, 3)})

    def _retry_delay(self, err: HubError, attempt: int) -> float:
        if err.code == "REQUEST_TIMEOUT":  # no answer: a network error or the hub still down
            return self._schedule.delay(attempt)
        retry_after = err.retry_after_ms
        return self._schedule.refused_delay(None if retry_after is None else retry_after / 1000)

    def _connected(self) -> None:
        self._dropped.clear()
        self._schedule.connected()

    async def _resume_until_done(self) -> None:
        """A resume that fails while the connection stays up (a busy hub) is tried again with
        backoff: otherwise the agent would sit connected but subscribed to nothing."""
        attempt = 1
        while not self.closed and self._conn.connected:
            try:
                await self._resume()
                return
            except Exception as err:  # noqa: BLE001 - reported, then retried
                self.listeners.emit("error", err, None)
                if not self._conn.connected:
                    return  # the next connection resumes on its own
                await asyncio.sleep(min(self._schedule.max_s, self._schedule.min_s * 2 ** attempt))
                attempt += 1

    async def _resume(self) -> None:
        """Steps 5–7: register, re-send publishes (in `_register`), re-subscribe from R."""
        await self._register()
        self._registered.set()
        by_policy: Dict[Optional[str], List[str]] = {}
        for p in self._subs.patterns():
            by_policy.setdefault(self._policies.get(p), []).append(p)
        failed_before = self._delivery.failed_count
        replayed_before = self._delivery.replayed_count
        sent = 0
        for policy, patterns in by_policy.items():
            r = await self._send_subscribe(patterns, policy, self.resume_offset)
            sent += r.get("replayed", 0)
        self.listeners.emit("resumed", self.info)
        if sent > 0:
            # Tells the hub how the catch-up went (mostly failing marks this agent degraded there).
            # Only events new to this agent count: a resume from the watermark re-sends a few.
            await self._delivery.idle()
            replayed = self._delivery.replayed_count - replayed_before
            failed = self._delivery.failed_count - failed_before
            if replayed > 0:
                self.info = await self.call("agent:replay-report", {"replayed": replayed, "failed": failed})
                self.listeners.emit("replayed", {"replayed": replayed, "failed": failed})

    async def _register_until(self, deadline: float) -> AgentInfo:
        """The first registration, retried while the hub is too busy to answer in time; sending
        it again on the same connection is harmless (the hub answers with the agent's record)."""
        attempt = 1
        while True:
            try:
                return await self._register()
            except HubError as err:
                retryable = err.code in ("REQUEST_TIMEOUT", "RATE_LIMITED", "STORE_UNAVAILABLE")
                if not retryable or self.closed or time.monotonic() >= deadline:
                    await self._conn.disconnect()
                    raise
                retry_after = err.retry_after_ms
                wait = retry_after / 1000 if retry_after is not None else min(self._schedule.max_s, self._schedule.min_s * attempt)
                attempt += 1
                await asyncio.sleep(min(wait, max(0.0, deadline - time.monotonic())))

    async def _register(self) -> AgentInfo:
        o = self.options
        away = None
        if self._disconnected_at is not None:
            away = {"afterMs": int(max(0.0, time.time() - self._disconnected_at) * 1000)}
        self.info = await self.call(
            "agent:register",
            without_none({"name": o.name or o.agent_id, "capabilities": o.capabilities, "priority": o.priority, "recovery": o.recovery, "meta": o.meta, "reconnect": away}),
        )
        self._disconnected_at = None
        # Publishes made before (and during) the outage go first, in order, then anything new.
        self._window.resume()
        return self.info  # type: ignore[return-value]

    async def _send_subscribe(self, patterns: List[str], policy: Optional[str], from_offset: Optional[int]) -> SubscribeResult:
        # Replayed events arrive before the ack; live ones are held until then so handlers see offset order.
        self._delivery.hold()
        try:
            r = await self.call("event:subscribe", without_none({"patterns": patterns, "fromOffset": from_offset, "policy": policy}))
            if isinstance(r.get("watermark"), int):
                self._watermark = r["watermark"]
            return r
        finally:
            self._delivery.release()

    # ---- delivery hooks ----------------------------------------------------------------------

    def _send_ack(self, offset: int, latencies: List[float]) -> None:
        # Not before re-registration (the hub would refuse it); acks are cumulative, the next covers it.
        if not self._conn.connected or not self._registered.is_set():
            return
        task = asyncio.ensure_future(self._conn.signal("event:ack", {"offset": offset, "latencies": latencies}))
        self._acks.add(task)
        task.add_done_callback(self._ack_sent)

    def _ack_sent(self, task: asyncio.Task) -> None:
        self._acks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("event:ack not sent", extra={"error": str(task.exception())})

    async def _nack(self, event: HubEvent, attempts: int, error: str) -> Any:
        return await self.call("event:nack", {"id": event["id"], "offset": event["offset"], "attempts": attempts, "error": error})

    async def _sweep_processed(self) -> None:
        while not self.closed:
            await asyncio.sleep(SWEEP_EVERY_S)
            self.processed.sweep()


async def connect_agent(url: Union[str, Sequence[str]], agent_id: str, token: str, **options: Any) -> AgentClient:
    """Connects, registers and returns the ready client (options: the fields of ClientOptions)."""
    client = AgentClient(ClientOptions(url=url, agent_id=agent_id, token=token, **options))
    try:
        await client.start()
    except BaseException:
        await client.close()
        raise
    return client
