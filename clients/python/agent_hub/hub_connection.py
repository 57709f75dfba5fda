"""One agent's Socket.IO connection to `/agents`: connect attempts with typed refusals, the
final-close signal, and the packets it sends. Reconnect policy lives in the client, not here."""
from __future__ import annotations

import asyncio
from typing import Any, Callable, Dict, List, Optional

import socketio

from .errors import HubError
from .request import AGENTS_NAMESPACE, request


class _HubSocket(socketio.AsyncClient):
    """Notes a namespace disconnect by the hub ("io server disconnect"): the one final close."""

    server_disconnected = False

    async def _handle_disconnect(self, namespace: Any, *args: Any) -> None:  # type: ignore[override]
        if self.connected:
            self.server_disconnected = True
        await super()._handle_disconnect(namespace, *args)


class HubConnection:
    def __init__(self, urls: List[str], auth: Callable[[], Dict[str, Any]], handshake_timeout_s: float, on_drop: Callable[[bool], None]) -> None:
        """`auth` is called on every handshake; `on_drop(final)` after each drop of a connection."""
        self._urls = urls
        self._url_at = 0
        self._auth = auth
        self._handshake_timeout_s = handshake_timeout_s
        self._on_drop = on_drop
        self._refusal: Optional[Dict[str, Any]] = None
        self._handshake: Optional["asyncio.Future[None]"] = None
        # Reconnection is the client's (the protocol's procedure), not python-socketio's; so is SIGINT.
        self.sio = _HubSocket(reconnection=False, handle_sigint=False)
        self.on("connect", self._on_connect)
        self.on("connect_error", self._on_connect_error)
        self.on("disconnect", self._on_disconnect)

    @property
    def connected(self) -> bool:
        return self.sio.connected

    @property
    def url(self) -> str:
        return self._urls[self._url_at]

    def on(self, event: str, fn: Callable[..., Any]) -> None:
        """Handlers must not await before queueing their work: each packet is its own task, and
        asyncio runs those in arrival order only up to their first await."""
        self.sio.on(event, fn, namespace=AGENTS_NAMESPACE)

    def next_url(self) -> None:
        """With several nodes, each attempt tries the next one."""
        self._url_at = (self._url_at + 1) % len(self._urls)

    async def connect_once(self) -> None:
        """One attempt on the current URL; raises HubError (the refusal's code, else REQUEST_TIMEOUT)."""
        self._refusal = None
        self.sio.server_disconnected = False
        self._handshake = asyncio.get_running_loop().create_future()
        url = self.url
        try:
            # wait=False: python-socketio would sit out its whole wait after a refusal; the
            # namespace's own connect / connect_error answer settles `_handshake` instead.
            await self.sio.connect(url, auth=self._auth, transports=["websocket"], namespaces=[AGENTS_NAMESPACE], wait=False)
            await asyncio.wait_for(asyncio.shield(self._handshake), self._handshake_timeout_s)
        except (socketio.exceptions.ConnectionError, ValueError, OSError, asyncio.TimeoutError) as err:
            await self.disconnect()
            raise HubError("REQUEST_TIMEOUT", f"could not connect to {url}: {err or 'no handshake answer'}") from None
        refusal = self._refusal
        if refusal is not None:
            await self.disconnect()
            raise HubError(str(refusal.get("code", "UNAUTHENTICATED")), str(refusal.get("message", "")), refusal.get("details"))

    async def request(self, event: str, payload: Any, timeout_s: float) -> Any:
        return await request(self.sio, event, payload, timeout_s)

    async def signal(self, event: str, payload: Any) -> None:
        """An event without an ack (`event:ack`)."""
        await self.sio.emit(event, payload, namespace=AGENTS_NAMESPACE)

    async def flush(self, timeout_s: float = 1.0) -> None:
        """Waits for queued packets to be written: python-engineio's disconnect closes the
        websocket without draining its send queue (the last ack would be lost)."""
        queue = getattr(self.sio.eio, "queue", None)
        if not self.sio.connected or queue is None or not hasattr(queue, "join"):
            return
        try:
            await asyncio.wait_for(queue.join(), timeout_s)
        except asyncio.TimeoutError:
            pass

    async def disconnect(self) -> None:
        read_loop = getattr(self.sio.eio, "read_loop_task", None)
        try:
            await self.sio.disconnect()
        except Exception:  # noqa: BLE001 - already gone
            pass
        # python-socketio aborts python-engineio's read loop instead of waiting for it to end. A
        # connect started before it ends shares the engine client's queue and tasks with it, and
        # its end then tears the new connection down: the next handshake is never answered (seen
        # when a refused handshake was followed at once by another, as after PROTOCOL_UNSUPPORTED).
        if read_loop is not None and not read_loop.done():
            try:
                await asyncio.wait_for(asyncio.shield(read_loop), 2.0)
            except Exception:  # noqa: BLE001 - gone either way; the next connect starts clean
                pass

    async def close(self) -> None:
        await self.disconnect()
        http = getattr(self.sio.eio, "http", None)
        if http is not None and not http.closed:
            await http.close()

    def _on_connect(self) -> None:
        if self._handshake is not None and not self._handshake.done():
            self._handshake.set_result(None)

    def _on_connect_error(self, data: Any = None) -> None:
        # Socket.IO v4 sends {message, data: {code, message, details?}}; the code is in `data`.
        if isinstance(data, dict) and isinstance(data.get("data"), dict):
            data = data["data"]
        self._refusal = data if isinstance(data, dict) else {"code": "UNAUTHENTICATED", "message": str(data)}
        if self._handshake is not None and not self._handshake.done():
            self._handshake.set_result(None)

    def _on_disconnect(self) -> None:
        self._on_drop(self.sio.server_disconnected)
