"""Python client for Agent Hub: an agent's socket to the hub, as docs/protocol.md specifies it."""
from .agent_client import PROTOCOL_VERSION, AgentClient, connect_agent
from .client_options import ClientOptions
from .errors import FINAL_REFUSALS, HubError, is_hub_error
from .group_participant import GroupParticipant, GroupTasks, TurnAnswer, TurnContext, join_group
from .models import (
    AgentInfo,
    AppendResult,
    DeadLetter,
    Group,
    GroupEndedEvent,
    GroupMessageEvent,
    GroupTask,
    GroupTurnGrant,
    HubEvent,
    LivenessReport,
    NewMessage,
    PublishResult,
    Session,
    SessionMessage,
    SessionWithHistory,
    ShutdownNotice,
    SubscribeResult,
)
from .reconnect_schedule import ReconnectSchedule
from .tokens import compute_agent_token, issue_agent_token

__version__ = "0.1.0"

__all__ = [
    "PROTOCOL_VERSION",
    "AgentClient",
    "ClientOptions",
    "connect_agent",
    "HubError",
    "is_hub_error",
    "FINAL_REFUSALS",
    "GroupParticipant",
    "GroupTasks",
    "TurnAnswer",
    "TurnContext",
    "join_group",
    "ReconnectSchedule",
    "compute_agent_token",
    "issue_agent_token",
    "AgentInfo",
    "AppendResult",
    "DeadLetter",
    "Group",
    "GroupEndedEvent",
    "GroupMessageEvent",
    "GroupTask",
    "GroupTurnGrant",
    "HubEvent",
    "LivenessReport",
    "NewMessage",
    "PublishResult",
    "Session",
    "SessionMessage",
    "SessionWithHistory",
    "ShutdownNotice",
    "SubscribeResult",
]
