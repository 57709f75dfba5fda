"""The Python client publishing in bursts, with and without batching, against one hub.

    /usr/bin/python3 clients/python/bench/publish_burst.py [--events=20000] [--burst=100] [--runs=3] [--store=pglite]

One hub (the sources through tsx, as the client's tests run it) serves every run. Each run
connects a publisher and a subscriber, publishes `--events` events in bursts (`asyncio.gather` of
`--burst` publishes, each burst awaited), and times it until every publish is durable and the
subscriber has handled every event. Runs alternate: batching on (the client's default), then off
(every publish as its own `event:publish`, as before the batcher). The CPU columns are the hub's
and this process's (publisher and subscriber together), in seconds per 10,000 events.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from agent_hub import connect_agent, issue_agent_token, publish_batcher  # noqa: E402
from hub_process import HubProcess  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def one_run(hub: HubProcess, n: int, burst: int, batching: bool, run: int) -> dict:
    publish_batcher.BATCH_EVENTS = 100 if batching else 1
    topic = f"bench:py:{run}"
    names = (f"py-bench-pub-{run}", f"py-bench-sub-{run}")
    pub = await connect_agent(hub.url, names[0], await issue_agent_token(hub.url, hub.token, names[0]))
    sub = await connect_agent(hub.url, names[1], await issue_agent_token(hub.url, hub.token, names[1]))
    got = 0
    done = asyncio.Event()

    def handle(_event) -> None:
        nonlocal got
        got += 1
        if got == n:
            done.set()

    await sub.subscribe([topic], handle, policy="none")
    hub_cpu, own_cpu, start = cpu_s(hub.child.pid), time.process_time(), time.perf_counter()
    for i in range(0, n, burst):
        await asyncio.gather(*(pub.publish(topic, {"n": j, "pad": "x" * 60}) for j in range(i, min(n, i + burst))))
    await asyncio.wait_for(done.wait(), 60)
    took = time.perf_counter() - start
    out = {
        "rate": n / took,
        "hub": (cpu_s(hub.child.pid) - hub_cpu) / n * 10_000,
        "client": (time.process_time() - own_cpu) / n * 10_000,
    }
    await pub.close()
    await sub.close()
    return out


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--burst", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--store", default="pglite")
    o = ap.parse_args()
    hub = HubProcess(env={"STORE": o.store})
    hub.spawn()
    try:
        await one_run(hub, 2000, o.burst, True, 0)  # warm-up: the hub's JIT, the store's first pages
        rows = {True: [], False: []}
        for r in range(o.runs):
            for batching in (True, False):
                res = await one_run(hub, o.events, o.burst, batching, 1 + r * 2 + int(not batching))
                rows[batching].append(res)
                print(f"run {r + 1} batching {'on ' if batching else 'off'}: {res['rate']:8,.0f} events/s, hub {res['hub']:.2f} s CPU / 10k, client {res['client']:.2f} s CPU / 10k", flush=True)
        print(f"\n{o.events:,} events in bursts of {o.burst}, store {o.store}; medians of {o.runs} interleaved runs")
        for batching in (True, False):
            col = lambda k: statistics.median(x[k] for x in rows[batching])  # noqa: E731
            print(f"batching {'on ' if batching else 'off'}: {col('rate'):8,.0f} events/s (publish to handled), hub {col('hub'):.2f} s CPU per 10,000, Python publisher + subscriber {col('client'):.2f} s")
    finally:
        hub.stop()


if __name__ == "__main__":
    asyncio.run(main())
