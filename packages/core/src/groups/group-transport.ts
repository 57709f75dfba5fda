import type { GroupMessageEvent, GroupTurnGrant } from '@agent-hub/protocol';

/**
 * How the engine reaches agents; the hub implements it with Socket.IO rooms (`g:<groupId>`), so a
 * Redis adapter makes it multi-node. Calls are fire-and-forget: delivery problems surface as
 * turn timeouts, never as engine errors.
 */
export interface GroupTransport {
  /** Tells one agent it holds the turn (`group:turn`). */
  grantTurn(agentId: string, turn: GroupTurnGrant): void;
  /** Sends to every agent in the group's room. */
  broadcast(groupId: string, event: 'group:message', payload: GroupMessageEvent): void;
  joinRoom(groupId: string, agentId: string): void | Promise<void>;
  leaveRoom(groupId: string, agentId: string): void | Promise<void>;
  /** Tells the room the group is over (`group:ended`) and empties the room. */
  ended(groupId: string, reason: string): void;
}
