"""The client's pure parts, without a hub: reconnect schedule, processed ids, topic matching."""
from __future__ import annotations

import uuid

from agent_hub import ReconnectSchedule
from agent_hub.ids import time_ordered_id
from agent_hub.processed_registry import ProcessedRegistry
from agent_hub.topics import topic_matches


def test_waits_exactly_the_announced_delay_then_retries_every_half_to_one_and_a_half_seconds():
    draws = iter([0.0, 1.0, 0.5])
    s = ReconnectSchedule(min_s=0.5, max_s=5.0, random=lambda: next(draws))
    s.shutdown_notice(2.345)
    assert s.delay(0) == 2.345
    assert [s.delay(1), s.delay(2), s.delay(3)] == [0.5, 1.5, 1.0]


def test_backs_off_with_jitter_up_to_the_cap_and_forgets_a_notice_once_connected():
    s = ReconnectSchedule(min_s=0.5, max_s=5.0, jitter=0.5, random=lambda: 0.5)
    s.shutdown_notice(9.0)
    s.connected()
    assert [s.delay(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_forgets_the_oldest_ids_past_capacity_and_sweeps_old_ones():
    now = [0.0]
    r = ProcessedRegistry(capacity=2, max_age_s=10, clock=lambda: now[0])
    r.add("a")
    now[0] = 5
    r.add("b")
    now[0] = 6
    r.add("c")
    assert "a" not in r and "b" in r and "c" in r
    now[0] = 15.5
    assert r.sweep() == 1
    assert list(("b" in r, "c" in r)) == [False, True]


def test_ids_are_uuid7_ordered_by_the_millisecond_they_were_made_in():
    made = [time_ordered_id(1_765_000_000_000 + i // 5) for i in range(500)]
    for i in made:
        u = uuid.UUID(i)
        assert u.version == 7 and u.variant == uuid.RFC_4122
    assert [int(i[:8] + i[9:13], 16) for i in sorted(made)] == [1_765_000_000_000 + i // 5 for i in range(500)]
    assert len(set(time_ordered_id(1) for _ in range(1000))) == 1000
    assert int(time_ordered_id()[:8], 16) > 0


def test_matches_topics_like_the_hub():
    assert topic_matches("agent:*", "agent:42")
    assert not topic_matches("agent:*", "agent:42:state")
    assert topic_matches("agent:#", "agent:42:state")
    assert topic_matches("#", "orders:eu:created")
    assert topic_matches("orders:eu:created", "orders:eu:created")
    assert not topic_matches("orders:us:#", "orders:eu:created")


def test_publishes_past_the_window_wait_for_a_slot_and_go_in_order():
    import asyncio

    from agent_hub.publish_window import PublishWindow

    async def run():
        sent, answers = [], []

        async def send(p):
            f = asyncio.get_running_loop().create_future()
            sent.append(p["id"])
            answers.append(lambda: f.set_result({"id": p["id"], "offset": len(sent), "duplicate": False, "durable": True}))
            return await f

        async def settle():
            for _ in range(5):
                await asyncio.sleep(0)

        w = PublishWindow(capacity=2, deadline_s=60, send=send)
        w.resume()
        tasks = [asyncio.ensure_future(w.publish({"id": f"e{i}", "topic": "t", "payload": i})) for i in range(5)]
        await settle()
        assert sent == ["e0", "e1"]
        for i in range(5):
            answers[i]()
            await settle()
            assert sent == [f"e{k}" for k in range(min(5, i + 3))]
        assert [t.result()["id"] for t in tasks] == [f"e{i}" for i in range(5)]
        assert w.depth == 0

    asyncio.run(run())
