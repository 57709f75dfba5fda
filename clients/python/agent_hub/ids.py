"""Event and message ids: time-ordered UUIDs (version 7, RFC 9562), as the TypeScript SDK makes them.

The hub's log keeps an index on event ids; ids made later sort after ids made earlier, so that
index grows at its right edge instead of taking every insert on a random page (protocol.md,
"Delivery guarantees", **Ids**). Python's ``uuid.uuid7`` arrives in 3.14; this is the same
layout: 48 bits of Unix time in milliseconds, the version (7), the variant, and 74 random bits.
"""
from __future__ import annotations

import os
import time
import uuid
from typing import Optional


def time_ordered_id(now_ms: Optional[int] = None) -> str:
    ms = int(time.time() * 1000) if now_ms is None else int(now_ms)
    value = int.from_bytes(os.urandom(16), "big")
    value &= ~(((1 << 48) - 1) << 80)  # the time's 48 bits
    value |= (ms & ((1 << 48) - 1)) << 80
    value &= ~(0xF << 76)  # version 7
    value |= 0x7 << 76
    value &= ~(0x3 << 62)  # variant 10
    value |= 0x2 << 62
    return str(uuid.UUID(int=value))
