import { describe, expect, it } from 'vitest';
import { GROUP_DEFAULTS, type SessionMessage } from '@agent-hub/protocol';
import { FakeClock } from '../../testing/fake-clock.ts';
import { CapabilitySelector } from './capability.ts';
import { ManualSelector } from './manual.ts';
import { PrioritySelector } from './priority.ts';
import { RoundRobinSelector, nextInRotation } from './round-robin.ts';
import type { Candidate, SelectionContext } from './speaker-selector.ts';

const seats = ['ann', 'bob', 'cy', 'dee'];
const cand = (id: string, o: Partial<Candidate> = {}): Candidate => ({ id, capabilities: [], priority: 0, ...o });

function ctx(o: Partial<SelectionContext> & { last?: Partial<SessionMessage> } = {}): SelectionContext {
  const last = o.last
    ? [{ seq: 1, role: 'agent', author: null, content: '', metadata: {}, createdAt: '', ...o.last } as SessionMessage]
    : [];
  return {
    groupId: 'g',
    seats,
    candidates: seats.map((id) => cand(id)),
    previousId: null,
    lastSpeakerId: null,
    lastGranted: {},
    settings: { ...GROUP_DEFAULTS, stopWord: null, allowedTransitions: null, llm: null },
    recentMessages: async (n) => last.slice(-n),
    signal: new AbortController().signal,
    ...o,
  };
}

describe('round-robin', () => {
  it('rotates through the seats in order, wrapping around', () => {
    const rr = new RoundRobinSelector();
    const order: string[] = [];
    let previousId: string | null = null;
    for (let i = 0; i < 6; i++) {
      previousId = rr.select(ctx({ previousId })).agentId;
      order.push(previousId);
    }
    expect(order).toEqual(['ann', 'bob', 'cy', 'dee', 'ann', 'bob']);
  });

  it('passes over seats that are not candidates (unhealthy)', () => {
    const rr = new RoundRobinSelector();
    const candidates = [cand('ann'), cand('dee')];
    expect(rr.select(ctx({ candidates, previousId: 'ann' })).agentId).toBe('dee');
    expect(rr.select(ctx({ candidates, previousId: 'dee' })).agentId).toBe('ann');
  });

  it('continues from the start when the previous holder has no seat any more', () => {
    expect(nextInRotation(seats, 'gone', ['bob', 'cy'])).toBe('bob');
  });
});

describe('priority', () => {
  it('gives the turn to the highest-priority candidate', () => {
    const candidates = [cand('ann', { priority: 1 }), cand('bob', { priority: 9 }), cand('cy', { priority: 5 })];
    expect(new PrioritySelector().select(ctx({ candidates }))).toEqual({ agentId: 'bob', reason: 'priority 9' });
  });

  it('rotates among candidates tied at the top', () => {
    const p = new PrioritySelector();
    const candidates = [
      cand('ann', { priority: 5 }),
      cand('bob', { priority: 1 }),
      cand('cy', { priority: 5 }),
      cand('dee', { priority: 5 }),
    ];
    const picks: string[] = [];
    let previousId: string | null = null;
    for (let i = 0; i < 4; i++) {
      previousId = p.select(ctx({ candidates, previousId })).agentId;
      picks.push(previousId);
    }
    expect(picks).toEqual(['ann', 'cy', 'dee', 'ann']);
  });

  it('breaks a tie in favour of whoever has waited longest, even after a turn outside the tie', () => {
    const candidates = [cand('ann', { priority: 1 }), cand('bob', { priority: 1 })];
    const s = new PrioritySelector().select(
      ctx({ seats: ['boss', 'ann', 'bob'], candidates, previousId: 'boss', lastGranted: { ann: 4, boss: 7 } }),
    );
    expect(s).toEqual({ agentId: 'bob', reason: 'priority 1 (tie of 2, round-robin)' });
  });
});

describe('capability', () => {
  const candidates = [
    cand('ann', { capabilities: ['writing'] }),
    cand('bob', { capabilities: ['code-review', 'testing'] }),
    cand('cy', { capabilities: ['test', 'deploy'] }),
    cand('dee', { capabilities: ['security'] }),
  ];

  it('picks the agent whose capabilities best match the words of the last message', async () => {
    const c = new CapabilitySelector();
    const s = await c.select(ctx({ candidates, last: { author: 'ann', content: 'Please run the tests and deploy to staging' } }));
    expect(s).toEqual({ agentId: 'cy', reason: '2 capabilities matched' });
  });

  it('matches multi-word capabilities only when every word is present', async () => {
    const c = new CapabilitySelector();
    expect((await c.select(ctx({ candidates, last: { content: 'Needs a code review' } }))).agentId).toBe('bob');
    const partial = await c.select(ctx({ candidates, previousId: 'bob', last: { content: 'the code is fine' } }));
    expect(partial).toEqual({ agentId: 'cy', reason: 'no capability mentioned (round-robin)' });
  });

  it('rotates among ties, including when nobody matches', async () => {
    const c = new CapabilitySelector();
    const s = await c.select(ctx({ candidates, previousId: 'bob', last: { content: 'what next?' } }));
    expect(s).toEqual({ agentId: 'cy', reason: 'no capability mentioned (round-robin)' });
    const tie = await c.select(ctx({ candidates, previousId: 'cy', last: { content: 'security of the test' } }));
    expect(tie.agentId).toBe('dee');
  });

  it('does not count the author of the last message as addressed by its own words', async () => {
    const c = new CapabilitySelector();
    const s = await c.select(ctx({ candidates, previousId: 'dee', last: { author: 'dee', content: 'security done' } }));
    expect(s.agentId).toBe('ann');
  });
});

describe('manual', () => {
  it('waits for the operator; an abort (the pick reaching the engine) ends the wait at once', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const pending = new ManualSelector(clock).select(ctx({ signal: controller.signal }));
    controller.abort();
    expect(await pending).toMatchObject({ reason: 'selection aborted' });
  });

  it('falls back to round-robin after manualWaitMs without a pick', async () => {
    const clock = new FakeClock();
    let done = false;
    const pending = new ManualSelector(clock)
      .select(ctx({ previousId: 'ann', settings: { ...ctx().settings, manualWaitMs: 5000 } }))
      .finally(() => (done = true));
    clock.advance(4999);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    expect(await pending).toEqual({ agentId: 'bob', reason: 'no operator pick within 5000 ms (round-robin)' });
  });
});
