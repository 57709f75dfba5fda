"""Settings of an AgentClient (times in seconds), with the TypeScript SDK's defaults."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Union

from .liveness import LivenessCheck


@dataclass
class ClientOptions:
    url: Union[str, Sequence[str]]
    """Hub base URL, or several nodes: each reconnect attempt moves to the next one."""
    agent_id: str
    token: str
    name: Optional[str] = None
    capabilities: List[str] = field(default_factory=list)
    priority: Optional[int] = None
    recovery: Optional[str] = None
    """`restart`, `replace` or `alert` (the hub's DEFAULT_RECOVERY when None)."""
    meta: Optional[Dict[str, Any]] = None
    liveness: Optional[LivenessCheck] = None
    """Answers the hub's liveness probe; default: healthy unless `progress()` went stale."""
    progress_stale_s: Optional[float] = None
    request_timeout_s: float = 10.0
    append_attempts: int = 2
    """How often `sessions.append` sends an append that got no answer (safe: messages carry ids)."""
    reconnect_delay_s: float = 0.5
    reconnect_delay_max_s: float = 5.0
    handler_attempts: int = 3
    """Handler runs per event before it is dead-lettered (`event:nack`)."""
    handler_backoff_s: float = 0.1
    processed_capacity: int = 10_000
    last_offset: Optional[int] = None
    """Resume point a restarted process persisted; default: what the hub recorded."""
    max_in_flight: int = 1000
    """Publishes sent and not yet durable at most; `publish()` waits for a slot beyond that."""
    publish_deadline_s: float = 60.0
    connect_timeout_s: float = 30.0
    """How long the first connect keeps retrying transient failures."""
