"""A seat in a group conversation (docs/groups.md), as the SDK's joinGroup and groupTasks."""
from __future__ import annotations

import asyncio
import inspect
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Union

from .agent_client import AgentClient
from .errors import HubError
from .models import Group, GroupTask, GroupTurnGrant, Priority, SessionMessage
from .sessions import without_none

log = logging.getLogger("agent_hub")


@dataclass
class TurnAnswer:
    content: str
    priority: Optional[Priority] = None
    """`critical` lets the speaker take the next turn despite the throttle (once)."""
    metadata: Optional[Dict[str, Any]] = None


@dataclass
class TurnContext:
    group: Group
    """The group as it was when this agent (re)joined."""
    messages: List[SessionMessage] = field(default_factory=list)
    """The shared context so far, oldest first: the session's history plus every message since."""


TurnHandler = Callable[[GroupTurnGrant, TurnContext], Union[str, TurnAnswer, Awaitable[Union[str, TurnAnswer]]]]
# A turn that ran out (skipped, paused, ended) while the handler thought is not an error of ours.
_TURN_GONE = ("GROUP_NOT_YOUR_TURN", "GROUP_ENDED", "GROUP_PAUSED")


class GroupParticipant:
    """Answers each of this agent's turns once with the handler's content (`group:speak`).

    Listens before joining, so a turn granted meanwhile is not missed; answers each turn id once
    even when the hub re-sends it (after a reconnect or a hub restart); joins again after every
    reconnect (protocol.md, "Groups").
    """

    def __init__(self, client: AgentClient, group_id: str, on_turn: TurnHandler, on_error: Optional[Callable[[BaseException, GroupTurnGrant], Any]] = None) -> None:
        self.client = client
        self.group_id = group_id
        self._on_turn = on_turn
        self._on_error = on_error
        self.group: Group = {}
        self.messages: List[SessionMessage] = []
        self._answered: Set[str] = set()
        self._active = True
        self._joined = asyncio.Event()
        self._ended: "asyncio.Future[str]" = asyncio.get_running_loop().create_future()
        self._tasks: Set[asyncio.Task] = set()

    @property
    def ended(self) -> "asyncio.Future[str]":
        """Resolves with the reason when the group ends ('left' after `leave()`)."""
        return self._ended

    async def join(self) -> "GroupParticipant":
        for name, fn in self._listeners().items():
            self.client.on(name, fn)
        try:
            await self._join()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stops answering turns but keeps the seat (turns then time out and are skipped)."""
        self._active = False
        for name, fn in self._listeners().items():
            self.client.off(name, fn)

    async def leave(self) -> None:
        """Stops answering turns and gives up the seat."""
        self.stop()
        await self.client.call("group:leave", {"groupId": self.group_id})
        self._end("left")

    def _listeners(self) -> Dict[str, Callable[[Any], Any]]:
        return {"group:message": self._on_message, "group:turn": self._on_turn_granted, "group:ended": self._on_ended, "resumed": self._on_resumed}

    async def _join(self) -> None:
        joined = await self.client.call("group:join", {"groupId": self.group_id})
        for m in joined["messages"]:
            self._add_message(m)
        self.group = joined["group"]
        self._joined.set()

    def _add_message(self, m: SessionMessage) -> None:
        if not self.messages or m["seq"] > self.messages[-1]["seq"]:
            self.messages.append(m)

    def _on_message(self, p: Any) -> None:
        if p.get("groupId") == self.group_id:
            self._add_message(p["message"])

    def _on_ended(self, p: Any) -> None:
        if p.get("groupId") == self.group_id:
            self.stop()
            self._end(str(p.get("reason", "")))

    def _on_turn_granted(self, turn: GroupTurnGrant) -> None:
        if not self._active or turn.get("groupId") != self.group_id or turn["turnId"] in self._answered:
            return
        self._answered.add(turn["turnId"])
        self._spawn(self._answer(turn))

    def _on_resumed(self, _info: Any) -> None:
        # The hub puts us back in the room and re-sends our turn; joining again refreshes the context.
        if self._active:
            self._spawn(self._rejoin())

    async def _rejoin(self) -> None:
        try:
            await self._join()
        except HubError as err:
            log.info("group re-join failed", extra={"groupId": self.group_id, "code": err.code})

    async def _answer(self, turn: GroupTurnGrant) -> None:
        try:
            await self._joined.wait()
            reply = self._on_turn(turn, TurnContext(group=self.group, messages=list(self.messages)))
            if inspect.isawaitable(reply):
                reply = await reply
            if not self._active:
                return
            answer = TurnAnswer(content=reply) if isinstance(reply, str) else reply
            payload = without_none({"groupId": self.group_id, "turnId": turn["turnId"], "content": answer.content, "priority": answer.priority, "metadata": answer.metadata})
            spoken = await self.client.call("group:speak", payload)
            self._add_message(spoken["message"])
        except HubError as err:
            if err.code not in _TURN_GONE:
                self._report(err, turn)
        except Exception as err:  # noqa: BLE001 - a turn handler may raise anything
            self._report(err, turn)

    def _report(self, err: BaseException, turn: GroupTurnGrant) -> None:
        if self._on_error is not None:
            self._on_error(err, turn)
        else:
            self.client.listeners.emit("error", err, turn)

    def _end(self, reason: str) -> None:
        if not self._ended.done():
            self._ended.set_result(reason)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def join_group(client: AgentClient, group_id: str, on_turn: TurnHandler, on_error: Optional[Callable[[BaseException, GroupTurnGrant], Any]] = None) -> GroupParticipant:
    """Takes a seat in `group_id` and answers this agent's turns with `on_turn`'s content."""
    return await GroupParticipant(client, group_id, on_turn, on_error).join()


class GroupTasks:
    """The group's task queue from an agent (`group:task`). Claims are leases: extend them."""

    def __init__(self, client: AgentClient, group_id: str) -> None:
        self._client = client
        self._group_id = group_id

    async def _call(self, **p: Any) -> Any:
        return await self._client.call("group:task", {"groupId": self._group_id, **p})

    async def add(self, title: str, details: Optional[str] = None) -> GroupTask:
        return await self._call(**without_none({"action": "add", "title": title, "details": details}))

    async def claim(self, task_id: str) -> GroupTask:
        return await self._call(action="claim", taskId=task_id)

    async def extend(self, task_id: str) -> GroupTask:
        """Keeps a claim: the lease runs a full term from now."""
        return await self._call(action="extend", taskId=task_id)

    async def complete(self, task_id: str, result: Any = None) -> GroupTask:
        return await self._call(**without_none({"action": "complete", "taskId": task_id, "result": result}))

    async def fail(self, task_id: str, error: str) -> GroupTask:
        return await self._call(action="fail", taskId=task_id, error=error)

    async def list(self) -> Dict[str, Any]:
        return await self._call(action="list")
