import { describe, expect, it } from 'vitest';
import type { PublishEvent, PublishResult } from '@agent-hub/protocol';
import { PublishWindow } from './publish-window.ts';

function fakeHub() {
  const sent: Array<{ p: PublishEvent; answer(): void }> = [];
  return {
    sent,
    send: (p: PublishEvent) =>
      new Promise<PublishResult>((resolve) =>
        sent.push({ p, answer: () => resolve({ id: p.id!, offset: 1, durable: true, duplicate: false }) }),
      ),
  };
}
const ev = (id: string) => ({ id, topic: 't', payload: id });
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('PublishWindow with an AbortSignal', () => {
  it('never sends a publish aborted while it waited for a reconnect, and frees its slot', async () => {
    const hub = fakeHub();
    const journal = {
      added: [] as string[],
      removed: [] as string[],
      load: () => [],
      add: (p: { id: string }) => void journal.added.push(p.id),
      remove: (id: string) => void journal.removed.push(id),
    };
    const w = new PublishWindow({ capacity: 1, deadlineMs: 5000, send: hub.send, journal });
    const ac = new AbortController();
    const held = w.publish(ev('a'), ac.signal); // paused: not sent
    expect(w.depth).toBe(1);
    ac.abort();
    await expect(held).rejects.toMatchObject({ code: 'ABORTED' });
    expect(w.depth).toBe(0);
    expect(journal.removed).toEqual(['a']);
    w.resume();
    const next = w.publish(ev('b'));
    await tick();
    expect(hub.sent.map((s) => s.p.id)).toEqual(['b']);
    hub.sent[0]!.answer();
    await expect(next).resolves.toMatchObject({ durable: true });
  });

  it('ignores the late answer to a publish aborted after it was sent', async () => {
    const hub = fakeHub();
    const w = new PublishWindow({ capacity: 5, deadlineMs: 5000, send: hub.send });
    w.resume();
    const ac = new AbortController();
    const p = w.publish(ev('a'), ac.signal);
    await tick();
    expect(hub.sent).toHaveLength(1);
    ac.abort('changed my mind');
    await expect(p).rejects.toMatchObject({ code: 'ABORTED', details: { reason: 'changed my mind' } });
    hub.sent[0]!.answer();
    await tick();
    expect(w.depth).toBe(0);
  });

  it('gives the place of a publish aborted while waiting for a slot to the next one, in order', async () => {
    const hub = fakeHub();
    const w = new PublishWindow({ capacity: 1, deadlineMs: 5000, send: hub.send });
    w.resume();
    const first = w.publish(ev('a'));
    const ac = new AbortController();
    const gaveUp = w.publish(ev('b'), ac.signal);
    const third = w.publish(ev('c'), new AbortController().signal);
    const fourth = w.publish(ev('d'));
    ac.abort();
    await expect(gaveUp).rejects.toMatchObject({ code: 'ABORTED' });
    for (const [i, next] of [first, third, fourth].entries()) {
      await tick();
      expect(hub.sent.map((s) => s.p.id)).toEqual(['a', 'c', 'd'].slice(0, i + 1));
      hub.sent[i]!.answer();
      await expect(next).resolves.toMatchObject({ durable: true });
    }
    expect(w.depth).toBe(0);
  });

  it('rejects at once with a signal aborted before the call', async () => {
    const w = new PublishWindow({ capacity: 5, deadlineMs: 5000, send: fakeHub().send });
    await expect(w.publish(ev('a'), AbortSignal.abort())).rejects.toMatchObject({ code: 'ABORTED' });
    expect(w.depth).toBe(0);
  });
});
