"""Topic pattern matching, as the hub does it (protocol.md, "Topics and wildcards")."""
from __future__ import annotations

from typing import List


def patterns_matching(topic: str) -> List[str]:
    """Every pattern that matches `topic`, the topic itself included."""
    segments = topic.split(":")
    out = [topic, "#"]
    out += [":".join(segments[:i]) + ":#" for i in range(1, len(segments))]
    if len(segments) > 1:
        out.append(":".join(segments[:-1]) + ":*")
    return out


def topic_matches(pattern: str, topic: str) -> bool:
    return pattern in patterns_matching(topic)
