"""Agent tokens: `ah1.<agentId>.<HMAC-SHA256(AGENT_SECRET)>` (protocol.md, "Credentials")."""
from __future__ import annotations

import base64
import hashlib
import hmac

import aiohttp

from .errors import HubError


def compute_agent_token(agent_secret: str, agent_id: str) -> str:
    """The token the hub would issue, for where the secret is known."""
    mac = hmac.new(agent_secret.encode(), f"agent:{agent_id}".encode(), hashlib.sha256).digest()
    return f"ah1.{agent_id}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


async def issue_agent_token(url: str, operator_token: str, agent_id: str) -> str:
    """Asks the hub for one: `POST /api/agents/tokens {agentId}` with the operator token."""
    async with aiohttp.ClientSession() as http:
        async with http.post(
            url.rstrip("/") + "/api/agents/tokens",
            json={"agentId": agent_id},
            headers={"authorization": f"Bearer {operator_token}"},
        ) as res:
            body = await res.json(content_type=None)
            if res.status != 201:
                raise HubError.from_body((body or {}).get("error"))
            return str(body["token"])
