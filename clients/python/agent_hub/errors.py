"""The hub's typed errors: one exception class carrying the stable code from docs/protocol.md."""
from __future__ import annotations

from typing import Any, Mapping, Optional

# Handshake refusals after which trying again cannot help (protocol.md, "Reconnecting" step 1).
FINAL_REFUSALS = frozenset({"UNAUTHENTICATED", "AGENT_UNAUTHORIZED", "PROTOCOL_UNSUPPORTED"})


class HubError(Exception):
    """An error the hub answered (or the client concluded), with the code listed in the protocol."""

    def __init__(self, code: str, message: str, details: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details

    @classmethod
    def from_body(cls, body: Any) -> "HubError":
        """Builds one from an error body `{code, message, details?}` (HTTP or socket ack)."""
        if not isinstance(body, Mapping):
            return cls("INTERNAL", f"malformed error body: {body!r}")
        return cls(str(body.get("code", "INTERNAL")), str(body.get("message", "")), body.get("details"))

    @property
    def retry_after_ms(self) -> Optional[float]:
        """The wait a refusal asks for (`details.retryAfterMs`), if it names one."""
        if isinstance(self.details, Mapping):
            v = self.details.get("retryAfterMs")
            if isinstance(v, (int, float)) and v >= 0:
                return float(v)
        return None


def is_hub_error(err: BaseException, *codes: str) -> bool:
    """True when `err` is a HubError with one of `codes` (any code when none are given)."""
    return isinstance(err, HubError) and (not codes or err.code in codes)
