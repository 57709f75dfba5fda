"""The same client object survives a graceful hub restart (SIGTERM, start again, default store)."""
from __future__ import annotations

import asyncio
from typing import List

import pytest

from agent_hub import AgentClient, ClientOptions, ReconnectSchedule, issue_agent_token
from hub_process import HubProcess
from support import Inbox, unique


class RecordingSchedule(ReconnectSchedule):
    """The real schedule, noting each delay it hands out."""

    def __init__(self) -> None:
        super().__init__()
        self.delays: List[float] = []

    def delay(self, attempt: int) -> float:
        d = super().delay(attempt)
        self.delays.append(d)
        return d


@pytest.fixture()
def durable_hub():
    # The default store (PGlite in DATA_DIR), so offsets and the event log outlive the restart.
    h = HubProcess(env={"RECONNECT_BASE_MS": "300"})
    h.spawn()
    yield h
    h.stop()


async def test_the_same_client_keeps_receiving_after_a_graceful_restart(durable_hub):
    hub = durable_hub
    agent_id = unique("py-survivor")
    token = await issue_agent_token(hub.url, hub.token, agent_id)
    schedule = RecordingSchedule()
    client = AgentClient(ClientOptions(url=hub.url, agent_id=agent_id, token=token), schedule=schedule)
    await client.start()
    try:
        notices, resumed = [], asyncio.Event()
        client.on("hub:shutdown", notices.append)
        client.on("resumed", lambda _info: resumed.set())
        inbox = Inbox()
        await client.subscribe(["survive:#"], inbox, policy="full")
        await hub.aapi("POST", "/api/events", {"topic": "survive:before", "payload": {"n": 1}})
        await inbox.wait(1)

        await asyncio.to_thread(hub.terminate)
        # The hub told this socket when to come back, then closed the transport (retryable).
        assert len(notices) == 1 and notices[0]["reconnectAfterMs"] >= 300
        assert not client.connected and not client.closed
        # Published while the hub is down: held in the window, re-sent after re-registering.
        during = asyncio.ensure_future(client.publish("survive:during", {"n": 2}))

        await asyncio.to_thread(hub.spawn)
        # Published on the restarted hub, possibly before this client is back: replayed or live.
        await hub.aapi("POST", "/api/events", {"topic": "survive:after-restart", "payload": {"n": 3}})
        await asyncio.wait_for(resumed.wait(), 30)
        assert client.connected
        # The first attempt waited exactly the announced delay.
        assert schedule.delays[0] == notices[0]["reconnectAfterMs"] / 1000

        published = await asyncio.wait_for(during, 15)
        assert published["durable"] is True
        await hub.aapi("POST", "/api/events", {"topic": "survive:later", "payload": {"n": 4}})
        await inbox.wait(4, timeout_s=15)
        await client.idle()
        assert sorted(p["n"] for p in inbox.payloads) == [1, 2, 3, 4]
        assert len({e["id"] for e in inbox.events}) == 4
        agent = await hub.aapi("GET", f"/api/agents/{agent_id}")
        assert agent["connected"] is True and agent["health"] == "healthy"
    finally:
        await client.close()
