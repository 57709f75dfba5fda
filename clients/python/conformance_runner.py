"""Runs conformance/scenario.json with the Python client (docs/protocol.md, "Conformance").

    /usr/bin/python3 clients/python/conformance_runner.py --scenario conformance/scenario.json \
        --run py-1a2b --url http://127.0.0.1:3000      # operator token in AGENT_HUB_OPERATOR_TOKEN

The hub belongs to a harness (conformance/conformance.test.ts) that started this process. Lines on
stdout that start with "@conformance " are for it, one JSON object each:
  {"type": "harness", "request": {...}}   asks the harness to act (stop or start the hub, publish
                                          as the operator, create or check a group); it answers
                                          one JSON line on stdin: {"ok": true, "data": ...} or
                                          {"ok": false, "error": "..."}
  {"type": "step", "index", "op", "ok", "ms", "error"?}   after each step
  {"type": "done", "ok"}                  at the end; the exit status says the same
The run stops at the first failed step. Anything else on stdout or stderr is diagnostics.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from typing import Any, Dict, List, Optional

from agent_hub import AgentClient, ClientOptions, issue_agent_token, join_group

DEFAULT_STEP_S = 30.0
PREFIX = "@conformance "


def mismatch(actual: Any, expected: Any, at: str = "$") -> Optional[str]:
    """Where `actual` departs from `expected`, or None; the rule of `mismatch` in conformance/scenario.ts."""
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{at}: expected an array, got {json.dumps(actual)}"
        if len(actual) != len(expected):
            return f"{at}: expected {len(expected)} items, got {len(actual)}: {json.dumps(actual)}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            m = mismatch(a, e, f"{at}[{i}]")
            if m:
                return m
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{at}: expected an object, got {json.dumps(actual)}"
        for key, value in expected.items():
            m = mismatch(actual.get(key), value, f"{at}.{key}")
            if m:
                return m
        return None
    # bool is an int in Python: True must not match 1.
    same = actual == expected and isinstance(actual, bool) == isinstance(expected, bool)
    return None if same else f"{at}: expected {json.dumps(expected)}, got {json.dumps(actual)}"


def expect_match(actual: Any, expected: Any) -> None:
    if expected is None:
        return
    m = mismatch(actual, expected)
    if m:
        raise AssertionError(m)


def emit(message: Dict[str, Any]) -> None:
    sys.stdout.write(PREFIX + json.dumps(message) + "\n")
    sys.stdout.flush()


class StdioHarness:
    """The harness at the other end of stdout/stdin; one request at a time."""

    async def perform(self, request: Dict[str, Any]) -> Any:
        emit({"type": "harness", "request": request})
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        if not line:
            raise AssertionError(f"the harness went away during {request['op']}")
        answer = json.loads(line)
        if not answer.get("ok"):
            raise AssertionError(f"harness {request['op']}: {answer.get('error')}")
        return answer.get("data")


async def wait_until(ok, why, timeout_s: float = DEFAULT_STEP_S - 5) -> None:
    # Shorter than a step's own limit, so a wait that gives up says what it waited for.
    deadline = time.monotonic() + timeout_s
    while not ok():
        if time.monotonic() > deadline:
            raise AssertionError(why())
        await asyncio.sleep(0.05)


class PythonRun:
    def __init__(self, url: str, operator_token: str, harness: StdioHarness) -> None:
        self.url = url
        self.operator_token = operator_token
        self.harness = harness
        self.main: Optional[AgentClient] = None
        self.agent_id = ""
        self.capabilities: List[str] = []
        self.handled: Dict[str, int] = {}
        self.handled_offsets: List[int] = []
        self.published: Dict[str, Dict[str, Any]] = {}
        self.pending: Dict[str, "asyncio.Future[Any]"] = {}
        self.sessions: Dict[str, str] = {}
        self.resumed = 0
        self.resumed_at_stop = 0
        self.shutdown_notices = 0
        self.others: List[AgentClient] = []

    @property
    def client(self) -> AgentClient:
        if self.main is None:
            raise AssertionError("no client: the scenario must register first")
        return self.main

    def session(self, alias: str) -> str:
        if alias not in self.sessions:
            raise AssertionError(f'no session saved as "{alias}"')
        return self.sessions[alias]

    async def perform(self, s: Dict[str, Any]) -> None:
        op = s["op"]
        expect = s.get("expect")
        if op == "register":
            self.agent_id, self.capabilities = s["agent"], s.get("capabilities", [])
            expect_match((await self.connect_main()).info, expect)
        elif op == "subscribe":
            expect_match(await self.client.subscribe(s["patterns"], self.record, policy=s.get("policy")), expect)
        elif op == "publish":
            await self.publish(s)
        elif op == "await_publishes":
            for pid in s["ids"]:
                if pid not in self.pending:
                    raise AssertionError(f"no publish of {pid} is pending")
                expect_match(await self.pending.pop(pid), expect)
        elif op == "operator_publish":
            await self.harness.perform({"op": "operator_publish", "topic": s["topic"], "payload": s["payload"], "id": s["id"]})
        elif op == "expect_events":
            await self.expect_events(s["ids"])
        elif op == "stop_hub":
            await self.stop_hub(s.get("graceful") is True)
        elif op == "start_hub":
            await self.harness.perform({"op": "start_hub"})
        elif op == "expect_resumed":
            await wait_until(
                lambda: self.resumed > self.resumed_at_stop and self.client.connected,
                lambda: f"the client did not resume (resumed {self.resumed} times, connected: {self.client.connected})",
            )
        elif op == "session_create":
            created = await self.client.sessions.create(metadata=s.get("metadata"), messages=s.get("messages"))
            self.sessions[s["as"]] = created["id"]
            expect_match(created, expect)
        elif op == "session_append":
            expect_match(await self.client.sessions.append(self.session(s["session"]), s["messages"]), expect)
        elif op == "session_state":
            expect_match(await self.client.sessions.set_state(self.session(s["session"]), s["state"]), expect)
        elif op == "session_get":
            expect_match(await self.client.sessions.get(self.session(s["session"])), expect)
        elif op == "session_restore":
            self.expect_restored(await self.client.sessions.restore(), expect or [])
        elif op == "group_turns":
            await self.group_turns(s["peers"], s["maxTurns"])
        elif op == "agent_restart":
            # A restarted agent process: a new client object for the same agent id.
            await self.client.close()
            await self.connect_main()
        elif op == "close":
            await self.client.close()
            self.main = None
        else:
            raise AssertionError(f'unknown op "{op}"')

    async def connect(self, agent_id: str, capabilities: List[str]) -> AgentClient:
        token = await issue_agent_token(self.url, self.operator_token, agent_id)
        client = AgentClient(ClientOptions(url=self.url, agent_id=agent_id, token=token, capabilities=capabilities))
        try:
            await client.start()
        except BaseException:
            await client.close()
            raise
        return client

    async def connect_main(self) -> AgentClient:
        self.main = await self.connect(self.agent_id, self.capabilities)
        self.resumed = self.resumed_at_stop = self.shutdown_notices = 0
        self.main.on("resumed", self.on_resumed)
        self.main.on("hub:shutdown", self.on_shutdown)
        return self.main

    def on_resumed(self, _info: Any) -> None:
        self.resumed += 1

    def on_shutdown(self, _notice: Any) -> None:
        self.shutdown_notices += 1

    def record(self, event: Dict[str, Any]) -> None:
        self.handled[event["id"]] = self.handled.get(event["id"], 0) + 1
        self.handled_offsets.append(event["offset"])

    async def publish(self, s: Dict[str, Any]) -> None:
        sent = asyncio.ensure_future(self.client.publish(s["topic"], s["payload"], priority=s.get("priority"), id=s["id"]))
        if s.get("await") is False:
            # Settled by a later `await_publishes`; until then its failure is that step's to report.
            sent.add_done_callback(lambda f: f.cancelled() or f.exception())
            self.pending[s["id"]] = sent
            return
        result = await sent
        expect_match(result, s.get("expect"))
        first_id = s.get("sameOffsetAs")
        if first_id is None:
            self.published[s["id"]] = result
            return
        first = self.published.get(first_id) or {}
        if first.get("offset") != result["offset"]:
            raise AssertionError(f"offset {result['offset']}, expected {first_id}'s offset {first.get('offset')}")

    async def expect_events(self, ids: List[str]) -> None:
        """Every listed id handled exactly once, nothing else handled, in offset order."""
        await wait_until(lambda: all(i in self.handled for i in ids), lambda: f"not handled: {json.dumps([i for i in ids if i not in self.handled])}")
        await self.client.idle()
        twice = [f"{i} x{n}" for i, n in self.handled.items() if n > 1]
        if twice:
            raise AssertionError(f"handled more than once: {', '.join(twice)}")
        extra = [i for i in self.handled if i not in ids]
        if extra:
            raise AssertionError(f"handled but not expected: {json.dumps(extra)}")
        offsets = self.handled_offsets
        if any(b <= a for a, b in zip(offsets, offsets[1:])):
            raise AssertionError(f"handled out of offset order: {json.dumps(offsets)}")

    async def stop_hub(self, graceful: bool) -> None:
        self.resumed_at_stop = self.resumed
        notices_before = self.shutdown_notices
        await self.harness.perform({"op": "stop_hub", "graceful": graceful})
        await wait_until(lambda: not self.client.connected, lambda: "the client still reports a connection to the stopped hub", 5)
        # A graceful stop announces itself (protocol.md, "Reconnecting", step 3); a kill cannot.
        if graceful and self.shutdown_notices == notices_before:
            raise AssertionError("no hub:shutdown notice before the graceful stop")

    def expect_restored(self, restored: List[Dict[str, Any]], expected: List[Dict[str, Any]]) -> None:
        for want in expected:
            sid = self.session(want["session"])
            entry = next((r for r in restored if r.get("sessionId") == sid), None)
            if entry is None:
                raise AssertionError(f"agent:restore has no entry for session {want['session']} ({sid}): {json.dumps(restored)}")
            expect_match(entry.get("state"), want["state"])

    async def group_turns(self, peers: int, max_turns: int) -> None:
        """The harness seats this client's agent and `peers` more Python agents in one group; each answers its turns."""
        seated = [(self.agent_id, self.client)]
        for i in range(1, peers + 1):
            peer_id = f"{self.agent_id}-peer{i}"
            peer = await self.connect(peer_id, ["conformance"])
            self.others.append(peer)
            seated.append((peer_id, peer))
        members = [agent_id for agent_id, _ in seated]
        group = await self.harness.perform({"op": "group_create", "members": members, "maxTurns": max_turns})

        def speaker(agent_id: str):
            return lambda turn, _context: f"{agent_id} speaks on turn {turn['turn']}"

        seats = [await join_group(client, group["id"], speaker(agent_id)) for agent_id, client in seated]
        reasons = await asyncio.gather(*(seat.ended for seat in seats))
        if not all("max turns" in r for r in reasons):
            raise AssertionError(f"the group ended otherwise: {json.dumps(reasons)}")
        await self.harness.perform({"op": "group_check", "groupId": group["id"], "members": members, "maxTurns": max_turns})
        for _, peer in seated[1:]:
            await peer.close()
            self.others.remove(peer)

    async def close_all(self) -> None:
        for client in [self.main, *self.others]:
            if client is not None:
                await client.close()


async def run(scenario: Dict[str, Any], url: str, operator_token: str) -> bool:
    runner = PythonRun(url, operator_token, StdioHarness())
    try:
        for index, step in enumerate(scenario["steps"]):
            started = time.monotonic()
            report: Dict[str, Any] = {"type": "step", "index": index, "op": step["op"]}
            try:
                await asyncio.wait_for(runner.perform(step), step.get("withinMs", DEFAULT_STEP_S * 1000) / 1000)
                emit({**report, "ok": True, "ms": round((time.monotonic() - started) * 1000)})
            except Exception as err:  # noqa: BLE001 - any failure of a step is reported as that step's
                why = f"{step['op']} did not finish within the step's limit" if isinstance(err, asyncio.TimeoutError) else f"{type(err).__name__}: {err}"
                emit({**report, "ok": False, "ms": round((time.monotonic() - started) * 1000), "error": why})
                return False
        return True
    finally:
        await runner.close_all()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--run", required=True, help='replaces every "{run}" in the scenario')
    parser.add_argument("--url", required=True)
    args = parser.parse_args()
    operator_token = os.environ.get("AGENT_HUB_OPERATOR_TOKEN")
    if not operator_token:
        parser.error("AGENT_HUB_OPERATOR_TOKEN is not set")
    with open(args.scenario, encoding="utf-8") as f:
        scenario = json.loads(f.read().replace("{run}", args.run))
    ok = asyncio.run(run(scenario, args.url, operator_token))
    emit({"type": "done", "ok": ok})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
