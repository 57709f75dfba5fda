"""One acked socket call: the ack `{ok, data | error}` becomes a value or a raised HubError."""
from __future__ import annotations

from typing import Any

import socketio

from .errors import HubError

AGENTS_NAMESPACE = "/agents"


async def request(sio: socketio.AsyncClient, event: str, payload: Any, timeout_s: float) -> Any:
    """Emits `event` with an ack and waits at most `timeout_s`; REQUEST_TIMEOUT when none comes."""
    try:
        ack = await sio.call(event, payload, namespace=AGENTS_NAMESPACE, timeout=timeout_s)
    except socketio.exceptions.TimeoutError:
        raise HubError("REQUEST_TIMEOUT", f'no answer to "{event}" within {timeout_s:g} s (hub unreachable?)', {"event": event}) from None
    except socketio.exceptions.BadNamespaceError:
        # Not connected at the moment: as for a lost ack, the caller may send it again later.
        raise HubError("REQUEST_TIMEOUT", f'"{event}" not sent: not connected to the hub', {"event": event}) from None
    if isinstance(ack, dict) and ack.get("ok") is True:
        return ack.get("data")
    if isinstance(ack, dict) and ack.get("ok") is False:
        raise HubError.from_body(ack.get("error"))
    raise HubError("INTERNAL", f'malformed ack for "{event}"')
