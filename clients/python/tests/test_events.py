"""Register, publish/subscribe, dedupe, retries and dead letters, resume from acked offsets."""
from __future__ import annotations

import asyncio
import uuid

from agent_hub import HubError, connect_agent, issue_agent_token
from support import Inbox, connect, eventually, unique
from tcp_proxy import TcpProxy


async def test_registers_and_the_hub_lists_the_agent_healthy(hub):
    agent_id = unique("py-reg")
    client = await connect(hub, agent_id, capabilities=["search"], name="Py Scout")
    try:
        assert client.info is not None
        assert client.info["id"] == agent_id
        assert client.info["name"] == "Py Scout"
        assert client.info["capabilities"] == ["search"]
        listed = await hub.aapi("GET", f"/api/agents/{agent_id}")
        assert listed["connected"] is True
        assert listed["health"] == "healthy"
    finally:
        await client.close()


async def test_answers_liveness_probes_and_stays_healthy(hub):
    agent_id = unique("py-live")
    client = await connect(hub, agent_id)
    try:
        # The module's hub probes every 500 ms: two answered probes set lastLivenessAt twice.
        first = await eventually(lambda: _liveness_at(hub, agent_id))
        await eventually(lambda: _liveness_later(hub, agent_id, first))
        agent = await hub.aapi("GET", f"/api/agents/{agent_id}")
        assert agent["health"] == "healthy"
    finally:
        await client.close()


async def test_refuses_a_token_for_another_agent_for_good(hub):
    token = (await hub.aapi("POST", "/api/agents/tokens", {"agentId": unique("py-other")}))["token"]
    try:
        await connect_agent(hub.url, unique("py-me"), token, connect_timeout_s=5)
    except HubError as err:
        assert err.code == "AGENT_UNAUTHORIZED"
    else:
        raise AssertionError("the hub took a token minted for another agent")


async def test_delivers_a_published_event_to_a_subscriber(hub):
    topic = f"orders:{unique('eu')}:created"
    sub = await connect(hub, unique("py-sub"))
    pub = await connect(hub, unique("py-pub"))
    try:
        inbox = Inbox()
        ack = await sub.subscribe(["orders:#"], inbox)
        assert ack["patterns"] == ["orders:#"]
        result = await pub.publish(topic, {"order": 42}, priority="high")
        assert result["durable"] is True and result["duplicate"] is False
        [event] = await inbox.wait(1)
        assert event["id"] == result["id"]
        # The client's own id, time-ordered (UUID v7) as protocol.md asks.
        assert uuid.UUID(result["id"]).version == 7
        assert event["offset"] == result["offset"]
        assert event["topic"] == topic
        assert event["priority"] == "high"
        assert event["publisher"] == pub.options.agent_id
        assert event["payload"] == {"order": 42}
    finally:
        await sub.close()
        await pub.close()


async def test_a_publish_under_a_known_id_is_a_duplicate_and_not_delivered_again(hub):
    sub = await connect(hub, unique("py-sub"))
    pub = await connect(hub, unique("py-pub"))
    try:
        inbox = Inbox()
        await sub.subscribe(["dupes:#"], inbox)
        first = await pub.publish("dupes:a", {"n": 1}, id="fixed-id-" + unique("e"))
        again = await pub.publish("dupes:a", {"n": 1}, id=first["id"])
        assert again["duplicate"] is True and again["offset"] == first["offset"]
        marker = await pub.publish("dupes:a", {"n": 2})
        await inbox.wait(2)
        assert [e["id"] for e in inbox.events] == [first["id"], marker["id"]]
    finally:
        await sub.close()
        await pub.close()


async def test_runs_a_handler_once_for_an_event_the_hub_delivers_again(hub):
    client = await connect(hub, unique("py-dedupe"))
    try:
        inbox = Inbox()
        await client.subscribe(["redeliver:#"], inbox, policy="full")
        published = await client.publish("redeliver:x", {"n": 1})
        await inbox.wait(1)
        # Subscribing again from offset 0 makes the hub send the event a second time (a replay).
        again = await client.subscribe(["redeliver:#"], inbox, policy="full", from_offset=published["offset"] - 1)
        assert again["replayed"] >= 1
        await client.idle()
        assert [e["id"] for e in inbox.events] == [published["id"]]
        assert published["id"] in client.processed
    finally:
        await client.close()


async def test_retries_a_failing_handler_then_dead_letters_the_event(hub):
    agent_id = unique("py-nack")
    client = await connect(hub, agent_id, handler_backoff_s=0.05)
    attempts = []

    def failing(event):
        attempts.append(event["id"])
        raise RuntimeError("cannot handle this one")

    try:
        await client.subscribe(["jobs:#"], failing)
        published = await client.publish("jobs:broken", {"n": 1})

        async def dead_letter():
            items = (await hub.aapi("GET", "/api/deadletters"))["items"]
            return next((d for d in items if d["eventId"] == published["id"]), None)

        letter = await eventually(dead_letter)
        assert letter["agentId"] == agent_id
        assert letter["attempts"] == 3
        assert letter["offset"] == published["offset"]
        assert letter["topic"] == "jobs:broken"
        assert "cannot handle this one" in letter["error"]
        assert attempts == [published["id"]] * 3
    finally:
        await client.close()


async def test_replays_what_was_missed_after_the_connection_drops(hub):
    proxy = await TcpProxy(hub.port).start()
    agent_id = unique("py-drop")
    token = await issue_agent_token(hub.url, hub.token, agent_id)
    client = await connect_agent(proxy.url, agent_id, token)
    try:
        inbox = Inbox()
        await client.subscribe(["missed:#"], inbox, policy="full")
        await client.publish("missed:a", {"n": 1})
        await inbox.wait(1)
        dropped, resumed = asyncio.Event(), asyncio.Event()
        client.on("disconnected", lambda _reason: dropped.set())
        client.on("resumed", lambda _info: resumed.set())
        proxy.cut()  # a network cut: the client sees its transport close
        await asyncio.wait_for(dropped.wait(), 10)
        await hub.aapi("POST", "/api/events", {"topic": "missed:b", "payload": {"n": 2}})
        await hub.aapi("POST", "/api/events", {"topic": "missed:c", "payload": {"n": 3}})
        await asyncio.wait_for(resumed.wait(), 15)
        await inbox.wait(3)
        await client.idle()
        assert inbox.payloads == [{"n": 1}, {"n": 2}, {"n": 3}]
    finally:
        await client.close()
        await proxy.close()


async def test_a_new_client_resumes_after_the_offset_it_acked(hub):
    agent_id = unique("py-acked")
    first = await connect(hub, agent_id)
    inbox = Inbox()
    await first.subscribe(["acked:#"], inbox, policy="full")
    await hub.aapi("POST", "/api/events", {"topic": "acked:a", "payload": {"n": 1}})
    await inbox.wait(1)
    await first.close()  # flushes the ack of offset n=1

    await hub.aapi("POST", "/api/events", {"topic": "acked:b", "payload": {"n": 2}})
    await hub.aapi("POST", "/api/events", {"topic": "acked:c", "payload": {"n": 3}})

    # A fresh process: no processed ids, no offset of its own; the hub's record is the resume point.
    second = await connect(hub, agent_id)
    try:
        later = Inbox()
        ack = await second.subscribe(["acked:#"], later, policy="full")
        assert ack["replayed"] == 2, (ack, later.events)
        await later.wait(2)
        await second.idle()
        assert later.payloads == [{"n": 2}, {"n": 3}]
    finally:
        await second.close()


async def _liveness_at(hub, agent_id):
    return (await hub.aapi("GET", f"/api/agents/{agent_id}"))["lastLivenessAt"]


async def _liveness_later(hub, agent_id, first):
    at = await _liveness_at(hub, agent_id)
    return at if at and at != first else None


async def test_stops_for_good_when_a_newer_connection_of_the_same_agent_replaces_it(hub):
    agent_id = unique("py-twin")
    old = await connect(hub, agent_id)
    newer = await connect(hub, agent_id)
    try:
        reason = await asyncio.wait_for(old.wait_closed(), 10)
        assert reason is not None and reason.code == "AGENT_UNAUTHORIZED"
        assert old.closed and not old.connected
        # The newer one is the agent's connection and works.
        assert (await newer.publish("twins:a", {"n": 1}))["durable"] is True
        agent = await hub.aapi("GET", f"/api/agents/{agent_id}")
        assert agent["connected"] is True
    finally:
        await old.close()
        await newer.close()

async def test_handles_a_live_burst_sent_as_one_events_message(hub):
    """Protocol 3: a burst published in one `event:publish-batch` reaches this client as one
    `events` message; each event is handled once, in order, and counted as live (its latency
    goes to the hub with the ack, unlike a replayed event's age)."""
    import socketio

    topic = f"burst:{unique('py')}"
    sub = await connect(hub, unique("py-burst-sub"))
    raw = socketio.AsyncClient()
    publisher = unique("py-burst-pub")
    token = await issue_agent_token(hub.url, hub.token, publisher)
    try:
        inbox = Inbox()
        await sub.subscribe([topic], inbox)
        received = []
        handlers = sub._conn.sio.handlers["/agents"]
        client_handler = handlers["events"]

        def counting(events):
            received.append(len(events))
            return client_handler(events)

        handlers["events"] = counting
        await raw.connect(hub.url, namespaces=["/agents"], transports=["websocket"], auth={"agentId": publisher, "token": token, "protocol": 3})
        registered = await raw.call("agent:register", {"name": publisher}, namespace="/agents", timeout=10)
        assert registered["ok"] is True
        before = await _latency_samples(hub)
        answer = await raw.call(
            "event:publish-batch",
            {"events": [{"topic": topic, "payload": i} for i in range(10)]},
            namespace="/agents",
            timeout=10,
        )
        assert answer["ok"] is True and all(r["ok"] for r in answer["data"]["results"])
        events = await inbox.wait(10)
        assert [e["payload"] for e in events] == list(range(10))
        assert received == [10]
        await eventually(lambda: _more_latency_samples(hub, before + 10))
    finally:
        await raw.disconnect()
        await sub.close()


async def _latency_samples(hub) -> float:
    text = await asyncio.to_thread(_metrics_text, hub)
    for line in text.splitlines():
        if line.startswith("agenthub_event_propagation_latency_seconds_count"):
            return float(line.split()[-1])
    return 0.0


async def _more_latency_samples(hub, at_least: float) -> bool:
    return await _latency_samples(hub) >= at_least


def _metrics_text(hub) -> str:
    import urllib.request

    req = urllib.request.Request(hub.url + "/metrics")
    req.add_header("authorization", f"Bearer {hub.token}")
    with urllib.request.urlopen(req, timeout=10) as res:
        return res.read().decode()


class _OlderHub:
    """apps/hub/test/support/older-hub.ts: a hub of the release before protocol 3 (speaks 1 and 2)."""

    def __init__(self) -> None:
        import subprocess

        from hub_process import REPO_ROOT

        self.child = subprocess.Popen(
            ["node", "--import", "tsx", "apps/hub/test/support/older-hub.ts"], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        line = self.child.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("listening "), f"older hub did not start: {line!r}"
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    async def offered(self) -> list:
        import json
        import urllib.request

        def get() -> list:
            with urllib.request.urlopen(self.url + "/offered", timeout=10) as res:
                return json.loads(res.read())

        return await asyncio.to_thread(get)

    async def drop(self) -> None:
        import urllib.request

        await asyncio.to_thread(lambda: urllib.request.urlopen(urllib.request.Request(self.url + "/drop", method="POST"), timeout=10).read())

    def stop(self) -> None:
        self.child.terminate()
        self.child.wait(10)


async def test_offers_protocol_2_to_an_older_hub_that_refuses_3_and_3_again_after_a_drop():
    """A rolling upgrade: the hub refuses 3 with PROTOCOL_UNSUPPORTED and names 1 and 2; the client
    offers 2 at once (the refusal is not final), and offers 3 again on its next connection, since
    the node it reaches may have been upgraded meanwhile."""
    older = _OlderHub()
    client = None
    try:
        client = await connect_agent(older.url, "py-upgraded", "t", connect_timeout_s=10)
        assert await older.offered() == [3, 2]
        assert (await client.publish("old:hub", 1))["offset"] == 1
        await older.drop()
        await eventually(lambda: _offered_at_least(older, 4))
        assert (await older.offered())[:4] == [3, 2, 3, 2]
        # The same client, back on its own: it registered again and publishes.
        assert (await client.publish("old:hub", 2))["offset"] == 2
        assert not client.closed
    finally:
        if client is not None:
            await client.close()
        older.stop()


async def _offered_at_least(older: _OlderHub, n: int) -> bool:
    return len(await older.offered()) >= n


def _record_requests(client) -> list:
    """(event, number of publishes) for each request the client sends from now on."""
    sent: list = []
    conn = client._conn
    original = conn.request

    async def recording(event, payload, timeout_s):
        if event.startswith("event:publish"):
            sent.append((event, len(payload["events"]) if event == "event:publish-batch" else 1))
        return await original(event, payload, timeout_s)

    conn.request = recording
    return sent


class _PubSub:
    """A publisher whose publish requests are recorded, and a subscriber to its topic."""

    def __init__(self, hub, prefix: str) -> None:
        self.hub = hub
        self.topic = f"{prefix}:{unique('py')}"
        self.prefix = prefix
        self.inbox = Inbox()

    async def __aenter__(self) -> "_PubSub":
        self.sub = await connect(self.hub, unique(f"py-{self.prefix}-sub"))
        self.pub = await connect(self.hub, unique(f"py-{self.prefix}-pub"))
        await self.sub.subscribe([self.topic], self.inbox)
        self.sent = _record_requests(self.pub)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.pub.close()
        await self.sub.close()


async def test_publishes_a_burst_as_one_batch_and_a_lone_publish_singly(hub):
    async with _PubSub(hub, "batch") as ps:
        pub, topic, sent, inbox = ps.pub, ps.topic, ps.sent, ps.inbox
        results = await asyncio.gather(*(pub.publish(topic, {"n": i}) for i in range(20)))
        assert sent == [("event:publish-batch", 20)]
        offsets = [r["offset"] for r in results]
        assert offsets == sorted(offsets) and len(set(offsets)) == 20
        assert all(r["durable"] for r in results)
        lone = await pub.publish(topic, {"n": 20})
        assert sent[-1] == ("event:publish", 1) and lone["offset"] > offsets[-1]
        events = await inbox.wait(21)
        assert [e["payload"]["n"] for e in events] == list(range(21))


async def test_a_batch_stays_small_and_a_large_event_goes_alone_after_what_came_before(hub):
    async with _PubSub(hub, "batch-big") as ps:
        pub, topic, sent, inbox = ps.pub, ps.topic, ps.sent, ps.inbox
        small = [{"n": i, "pad": "x" * 200} for i in range(30)]
        big = {"n": 30, "pad": "y" * 2000}
        await asyncio.gather(*(pub.publish(topic, p) for p in [*small[:2], big, *small[2:]]))
        # Two small ones, flushed before the large one; the rest in batches of at most ~4 KB.
        assert sent[0] == ("event:publish-batch", 2) and sent[1] == ("event:publish", 1)
        assert all(kind == "event:publish-batch" and 1 < n <= 16 for kind, n in sent[2:])
        assert sum(n for _, n in sent) == 31
        events = await inbox.wait(31)
        assert [e["payload"]["n"] for e in events] == [0, 1, 30, *range(2, 30)]


async def test_an_event_refused_in_a_batch_fails_alone(hub):
    pub = await connect(hub, unique("py-batch-refused"))
    try:
        sent = _record_requests(pub)
        topic = f"batch-ok:{unique('py')}"
        outcomes = await asyncio.gather(pub.publish(topic, 1), pub.publish("$hub:not-yours", 2), pub.publish(topic, 3), return_exceptions=True)
        assert sent == [("event:publish-batch", 3)]
        assert outcomes[0]["durable"] and outcomes[2]["durable"]
        assert isinstance(outcomes[1], HubError) and outcomes[1].code == "FORBIDDEN"
    finally:
        await pub.close()


async def test_publishes_singly_to_an_older_hub_that_does_not_know_batches():
    older = _OlderHub()
    client = None
    try:
        client = await connect_agent(older.url, "py-old-batches", "t", connect_timeout_s=10)
        sent = _record_requests(client)
        first = await asyncio.gather(*(client.publish("old:hub", i) for i in range(3)))
        assert sorted(r["offset"] for r in first) == [1, 2, 3]
        assert sent == [("event:publish-batch", 3), ("event:publish", 1), ("event:publish", 1), ("event:publish", 1)]
        # Single publishes from then on, on this connection.
        await asyncio.gather(*(client.publish("old:hub", i) for i in range(2)))
        assert sent[4:] == [("event:publish", 1), ("event:publish", 1)]
        # A new connection may reach an upgraded node: batches are tried again.
        await older.drop()
        await eventually(lambda: _offered_at_least(older, 4))
        await eventually(lambda: _registered(client))
        await asyncio.gather(*(client.publish("old:hub", i) for i in range(2)))
        assert sent[6:] == [("event:publish-batch", 2), ("event:publish", 1), ("event:publish", 1)]
    finally:
        if client is not None:
            await client.close()
        older.stop()


async def _registered(client) -> bool:
    return client._registered.is_set()


async def test_closing_with_a_batch_in_flight_answers_every_publish_and_leaves_no_send_behind(hub):
    pub = await connect(hub, unique("py-close-batch"))
    pending = [asyncio.ensure_future(pub.publish(f"close:{unique('py')}", i)) for i in range(10)]
    await asyncio.sleep(0)  # queued in the window; the batch goes out on the next turns
    await asyncio.sleep(0)
    await pub.close(drain_s=0)
    outcomes = await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), 5)
    for o in outcomes:
        assert (isinstance(o, dict) and o["durable"]) or (isinstance(o, HubError) and o.code == "REQUEST_TIMEOUT"), o
    await asyncio.sleep(0)
    assert not pub._batcher._tasks
