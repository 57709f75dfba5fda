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
    b = bytearray(os.urandom(16))
    b[0:6] = (ms & 0xFFFF_FFFF_FFFF).to_bytes(6, "big")  # 48 bits of time
    b[6] = (b[6] & 0x0F) | 0x70  # version 7
    b[8] = (b[8] & 0x3F) | 0x80  # variant 10
    return str(uuid.UUID(bytes=bytes(b)))
