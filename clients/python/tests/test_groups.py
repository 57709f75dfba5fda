"""A group of two Python agents taking turns (docs/groups.md), created through the operator API."""
from __future__ import annotations

import asyncio

from agent_hub import TurnAnswer, join_group
from support import connect, unique


async def test_two_agents_take_turns_until_max_turns(hub):
    ann_id, bob_id = unique("py-ann"), unique("py-bob")
    ann = await connect(hub, ann_id, capabilities=["writing"])
    bob = await connect(hub, bob_id, capabilities=["review"])
    try:
        group = await hub.aapi("POST", "/api/groups", {"members": [ann_id, bob_id], "maxTurns": 4, "prompt": "Discuss the plan."})
        seen_contexts = []

        def speaker(name):
            def on_turn(turn, context):
                seen_contexts.append((name, len(context.messages)))
                return f"{name} says hi on turn {turn['turn']}"

            return on_turn

        async def bob_turn(turn, context):
            await asyncio.sleep(0)  # an async handler works too
            return TurnAnswer(content=f"bob replies on turn {turn['turn']}", metadata={"mood": "ok"})

        ann_seat = await join_group(ann, group["id"], speaker("ann"))
        bob_seat = await join_group(bob, group["id"], bob_turn)
        reasons = await asyncio.wait_for(asyncio.gather(ann_seat.ended, bob_seat.ended), 30)
        assert all("max turns" in r for r in reasons), reasons

        final = await hub.aapi("GET", f"/api/groups/{group['id']}")
        assert final["status"] == "ended"
        assert final["spokenTurns"] == 4
        history = await hub.aapi("GET", f"/api/sessions/{group['sessionId']}")
        spoken = [m for m in history["messages"] if m["role"] == "agent"]
        assert [m["author"] for m in spoken] == [ann_id, bob_id, ann_id, bob_id]
        assert spoken[0]["content"].startswith("ann says hi")
        assert spoken[1]["metadata"]["mood"] == "ok"  # the hub adds groupId and turn beside it
        # Each speaker saw the shared context: the prompt plus everything said before its turn.
        assert seen_contexts[0] == ("ann", 1)
        assert seen_contexts[1][1] == 3
        # Both seats followed the conversation through group:message.
        assert [m["content"] for m in ann_seat.messages][-4:] == [m["content"] for m in spoken]
    finally:
        await ann.close()
        await bob.close()
