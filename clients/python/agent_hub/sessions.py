"""Session calls an agent makes on its socket (protocol.md, "Agent socket" and "Session appends")."""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Optional

from .errors import HubError
from .ids import time_ordered_id
from .models import AppendResult, NewMessage, Page, RestoredState, Session, SessionWithHistory

Call = Callable[[str, Any], Awaitable[Any]]


def without_none(payload: Dict[str, Any]) -> Dict[str, Any]:
    """The hub's schemas take a missing key, not null, for an optional field."""
    return {k: v for k, v in payload.items() if v is not None}


class SessionsApi:
    def __init__(self, call: Call, append_attempts: int = 2) -> None:
        self._call = call
        self._append_attempts = max(1, append_attempts)

    async def create(self, members: Optional[List[str]] = None, metadata: Optional[Dict[str, Any]] = None, messages: Optional[List[NewMessage]] = None) -> SessionWithHistory:
        """Creates a session with this agent as a member; messages without an id get a UUID."""
        msgs = _with_ids(messages) if messages else None
        return await self._call("session:create", without_none({"members": members, "metadata": metadata, "messages": msgs}))

    async def get(self, session_id: str, history: bool = True) -> SessionWithHistory:
        return await self._call("session:get", {"id": session_id, "history": history})

    async def list(self, **query: Any) -> Page:
        """Own sessions only; query keys as in the protocol (`state`, `createdAfter`, `cursor`, `limit` …)."""
        return await self._call("session:list", without_none(query))

    async def update(self, session_id: str, version: int, metadata: Optional[Dict[str, Any]] = None, members: Optional[List[str]] = None, state: Optional[str] = None) -> Session:
        return await self._call("session:update", without_none({"id": session_id, "version": version, "metadata": metadata, "members": members, "state": state}))

    async def append(self, session_id: str, messages: List[NewMessage], version: Optional[int] = None) -> AppendResult:
        """Appends messages; the answer has `pending` instead while the hub's store is down.

        Every message carries an id (made here when missing) before the first send, so sending
        again after no answer (REQUEST_TIMEOUT) is safe: the hub answers a copy it has with the
        original result and `duplicate: true`.
        """
        payload = without_none({"id": session_id, "version": version, "messages": _with_ids(messages)})
        attempt = 1
        while True:
            try:
                return await self._call("session:append", payload)
            except HubError as err:
                if err.code != "REQUEST_TIMEOUT" or attempt >= self._append_attempts:
                    raise
                attempt += 1

    async def set_state(self, session_id: str, state: Any, version: Optional[int] = None) -> Session:
        """Sets this agent's entry in the session's `agentState`."""
        # `state` may be null on purpose (clearing it), so only `version` is dropped when absent.
        return await self._call("session:state", {**without_none({"id": session_id, "version": version}), "state": state})

    async def restore(self) -> List[RestoredState]:
        """This agent's saved state in each of its live sessions (after a restart of the agent)."""
        return await self._call("agent:restore", {})


def _with_ids(messages: List[NewMessage]) -> List[Dict[str, Any]]:
    return [{**m, "id": m.get("id") or time_ordered_id()} for m in messages]
