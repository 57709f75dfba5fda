"""The wire payloads, as TypedDicts: what the hub sends is handed over as the JSON it is.

Shapes follow packages/protocol (the zod schemas are the source of truth) and docs/protocol.md.
A `_Base` class holds a payload's required keys, the public class adds the optional ones.
"""
from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, TypedDict, Union

Priority = Literal["low", "normal", "high", "critical"]
ReplayPolicy = Literal["none", "full", "critical-only"]
Recovery = Literal["restart", "replace", "alert"]
HealthState = Literal["connecting", "healthy", "suspect", "zombie", "disconnected", "recovering", "failed"]
SessionState = Literal["active", "idle", "expired"]
MessageRole = Literal["system", "user", "assistant", "agent", "tool", "operator"]


class HubEvent(TypedDict):
    id: str
    offset: int
    topic: str
    priority: Priority
    ts: str
    """ISO time the hub accepted the event."""
    publisher: str
    payload: Any


class PublishResult(TypedDict):
    id: str
    offset: int
    durable: bool
    duplicate: bool


class SubscribeResult(TypedDict):
    patterns: List[str]
    replayed: int
    fromOffset: int
    watermark: int


class DeadLetter(TypedDict):
    id: str
    eventId: str
    offset: int
    topic: str
    agentId: str
    attempts: int
    error: str
    at: str
    status: Literal["open", "retried", "discarded"]
    """`open` until an operator retries (redelivers) or discards it."""
    resolvedBy: Optional[str]
    resolvedAt: Optional[str]


class AgentInfo(TypedDict):
    id: str
    name: str
    capabilities: List[str]
    priority: int
    recovery: Recovery
    health: HealthState
    connected: bool
    connectedSince: Optional[str]
    lastSeenAt: Optional[str]
    lastLivenessAt: Optional[str]
    recoveries: int
    degraded: Optional[str]
    node: Optional[str]
    meta: Dict[str, Any]


class _LivenessReportBase(TypedDict):
    ok: bool


class LivenessReport(_LivenessReportBase, total=False):
    lastProgressAt: str
    detail: str
    pendingPublishes: int


class ShutdownNotice(TypedDict):
    reason: str
    reconnectAfterMs: int
    """This socket's own delay before its first reconnect attempt."""


class PendingWrite(TypedDict):
    position: int


MessageContent = Union[str, None, List[Dict[str, Any]]]
"""A string, None on a message with tool_calls, or OpenAI content parts ({type, text?, ...})."""


class _SessionMessageBase(TypedDict):
    seq: int
    role: MessageRole
    author: Optional[str]
    content: MessageContent
    metadata: Dict[str, Any]
    createdAt: str


class SessionMessage(_SessionMessageBase, total=False):
    id: str
    """Absent on messages stored before message ids existed."""
    tool_calls: List[Dict[str, Any]]
    tool_call_id: str
    name: str


class _NewMessageBase(TypedDict):
    content: MessageContent


class NewMessage(_NewMessageBase, total=False):
    """The OpenAI chat shape plus the hub's id, author and metadata; other fields are kept as sent."""
    id: str
    """The client makes one (a UUID) when missing, so a re-sent append is recognised."""
    role: MessageRole
    author: str
    metadata: Dict[str, Any]
    tool_calls: List[Dict[str, Any]]
    tool_call_id: str
    name: str


class _SessionBase(TypedDict):
    id: str
    state: SessionState
    version: int
    members: List[str]
    metadata: Dict[str, Any]
    agentState: Dict[str, Any]
    messageCount: int
    createdAt: str
    updatedAt: str
    lastActivityAt: str


class Session(_SessionBase, total=False):
    pending: PendingWrite
    """Only while the hub's store is down: the write is journaled and applied later."""


class _SessionWithHistoryBase(_SessionBase):
    messages: List[SessionMessage]


class SessionWithHistory(_SessionWithHistoryBase, total=False):
    pending: PendingWrite


class _AppendResultBase(TypedDict):
    session: Optional[Session]
    messages: List[SessionMessage]


class AppendResult(_AppendResultBase, total=False):
    duplicate: bool
    pending: PendingWrite


class RestoredState(TypedDict):
    sessionId: str
    version: int
    state: Any


class Page(TypedDict):
    items: List[Any]
    nextCursor: Optional[str]


class GroupTurnGrant(TypedDict):
    groupId: str
    turnId: str
    turn: int
    deadlineAt: Optional[str]


class GroupMessageEvent(TypedDict):
    groupId: str
    message: SessionMessage


class GroupEndedEvent(TypedDict):
    groupId: str
    reason: str


class GroupTask(TypedDict):
    id: str
    title: str
    details: Optional[str]
    status: Literal["open", "claimed", "done", "failed"]
    claimedBy: Optional[str]
    attempts: int
    leaseExpiresAt: Optional[str]
    result: Any
    error: Optional[str]
    createdAt: str
    updatedAt: str


class Group(TypedDict):
    """The group view (docs/groups.md, docs/schemas/Group.json)."""

    id: str
    sessionId: str
    status: Literal["running", "paused", "ended"]
    strategy: str
    members: List[str]
    settings: Dict[str, Any]
    turn: int
    spokenTurns: int
    current: Optional[Dict[str, Any]]
    lastSpeakerId: Optional[str]
    pendingPick: Optional[str]
    waiting: Optional[str]
    consecutive: Dict[str, Any]
    cooldowns: Dict[str, int]
    history: List[Dict[str, Any]]
    tasks: List[GroupTask]
    taskSummary: Dict[str, int]
    endedReason: Optional[str]
    metadata: Dict[str, Any]
    createdAt: str
    updatedAt: str
    endsAt: str
    version: int


class GroupJoined(TypedDict):
    group: Group
    messages: List[SessionMessage]


class GroupSpoken(TypedDict):
    turn: int
    message: SessionMessage
