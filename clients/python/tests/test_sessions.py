"""Sessions over the agent socket: create, append (idempotent by message id), state, restore."""
from __future__ import annotations

import uuid

from agent_hub import HubError
from support import connect, unique


async def test_creates_a_session_with_this_agent_as_a_member(hub):
    agent_id = unique("py-sess")
    client = await connect(hub, agent_id)
    try:
        session = await client.sessions.create(metadata={"task": "triage"}, messages=[{"content": "hello", "role": "user"}])
        assert agent_id in session["members"]
        assert session["metadata"] == {"task": "triage"}
        assert session["state"] == "active"
        [message] = session["messages"]
        assert message["content"] == "hello" and message["role"] == "user" and message["id"]
        listed = await client.sessions.list()
        assert session["id"] in [s["id"] for s in listed["items"]]
    finally:
        await client.close()


async def test_appends_messages_and_answers_a_repeated_append_as_a_duplicate(hub):
    client = await connect(hub, unique("py-append"))
    try:
        session = await client.sessions.create()
        first = await client.sessions.append(session["id"], [{"id": "m-1", "content": "found 3 leads"}, {"content": "and a fourth"}])
        assert [m["content"] for m in first["messages"]] == ["found 3 leads", "and a fourth"]
        assert first["messages"][0]["id"] == "m-1" and first["messages"][1]["id"]
        assert uuid.UUID(first["messages"][1]["id"]).version == 7  # the client's, time-ordered
        assert first["session"]["messageCount"] == 2
        # The same append again (a retry after a lost answer): nothing is written twice.
        again = await client.sessions.append(session["id"], [dict(m) for m in [{"id": "m-1", "content": "found 3 leads"}, {"id": first["messages"][1]["id"], "content": "and a fourth"}]])
        assert again.get("duplicate") is True
        assert [m["seq"] for m in again["messages"]] == [m["seq"] for m in first["messages"]]
        history = await client.sessions.get(session["id"])
        assert [m["content"] for m in history["messages"]] == ["found 3 leads", "and a fourth"]
    finally:
        await client.close()


async def test_refuses_an_append_based_on_a_stale_version(hub):
    client = await connect(hub, unique("py-version"))
    try:
        session = await client.sessions.create()
        await client.sessions.append(session["id"], [{"content": "one"}], version=session["version"])
        try:
            await client.sessions.append(session["id"], [{"content": "two"}], version=session["version"])
        except HubError as err:
            assert err.code == "SESSION_VERSION_CONFLICT"
            assert err.details["currentVersion"] == session["version"] + 1
        else:
            raise AssertionError("a stale version was accepted")
    finally:
        await client.close()


async def test_sets_agent_state_and_restores_it_in_a_new_connection(hub):
    agent_id = unique("py-state")
    client = await connect(hub, agent_id)
    session = await client.sessions.create()
    updated = await client.sessions.set_state(session["id"], {"step": 2, "notes": ["a"]})
    assert updated["agentState"][agent_id] == {"step": 2, "notes": ["a"]}
    await client.close()

    # As a restarted agent process would: a new connection asks for its saved state.
    again = await connect(hub, agent_id)
    try:
        restored = await again.sessions.restore()
        mine = [r for r in restored if r["sessionId"] == session["id"]]
        assert len(mine) == 1
        assert mine[0]["state"] == {"step": 2, "notes": ["a"]}
        assert mine[0]["version"] >= 1
        seen = await hub.aapi("GET", f"/api/sessions/{session['id']}")
        assert seen["agentState"][agent_id] == {"step": 2, "notes": ["a"]}
    finally:
        await again.close()
