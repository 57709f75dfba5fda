import { describe, expectTypeOf, it } from 'vitest';
import type { AgentRequestEvent, SessionWithHistory, StoredCheckpoint } from '@agent-hub/protocol';
import type { AgentClient } from './agent-client.ts';
import { groupTasks } from './group-participant.ts';

/**
 * Never run: `tsc` checks these lines (each `@ts-expect-error` fails the typecheck if its line
 * compiles), vitest only loads the file.
 */
function callTypes(client: AgentClient): void {
  // @ts-expect-error an event the agent socket does not take
  void client.call('no:such-event', {});
  // @ts-expect-error a payload `session:get` does not take
  void client.call('session:get', { nope: 1 });
  // @ts-expect-error `event:ack` is answered by no ack, so it is not a call
  void client.call('event:ack', { offset: 1 });

  expectTypeOf(client.call('session:get', { id: 's1', history: true })).resolves.toEqualTypeOf<SessionWithHistory>();
  expectTypeOf(client.call('checkpoint:get', { threadId: 't1' })).resolves.toEqualTypeOf<StoredCheckpoint | null>();
  expectTypeOf(groupTasks(client, 'g1').list()).resolves.toHaveProperty('items');
}

describe('AgentClient.call types', () => {
  it("takes only the protocol's request events with their payloads, and answers with their ack data", () => {
    expectTypeOf(callTypes).toBeFunction();
    expectTypeOf<'event:ack'>().not.toExtend<AgentRequestEvent>();
    expectTypeOf<'session:get'>().toExtend<AgentRequestEvent>();
  });
});
