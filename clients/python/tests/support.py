"""Helpers for tests against a real hub."""
from __future__ import annotations

import asyncio
import uuid
from typing import Any, Awaitable, Callable, List

from agent_hub import AgentClient, HubEvent, connect_agent, issue_agent_token
from hub_process import HubProcess


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def connect(hub: HubProcess, agent_id: str, **options: Any) -> AgentClient:
    """Mints a token the documented way (POST /api/agents/tokens) and connects as `agent_id`."""
    token = await issue_agent_token(hub.url, hub.token, agent_id)
    return await connect_agent(hub.url, agent_id, token, **options)


async def eventually(check: Callable[[], Awaitable[Any]], timeout_s: float = 10.0, every_s: float = 0.1) -> Any:
    """Polls `check` (for state only visible over HTTP) until it answers something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s (last: {result!r})")
        await asyncio.sleep(every_s)


class Inbox:
    """Collects events a handler receives; `wait(n)` returns once n have arrived."""

    def __init__(self) -> None:
        self.events: List[HubEvent] = []
        self._changed = asyncio.Event()

    def __call__(self, event: HubEvent) -> None:
        self.events.append(event)
        self._changed.set()

    @property
    def payloads(self) -> List[Any]:
        return [e["payload"] for e in self.events]

    async def wait(self, count: int, timeout_s: float = 10.0) -> List[HubEvent]:
        async def reach() -> None:
            while len(self.events) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(reach(), timeout_s)
        return self.events
