import { describe, expect, it } from 'vitest';
import { HubError, type PublishEvent, type PublishResult } from '@agent-hub/protocol';
import { PublishWindow } from './publish-window.ts';

/** A fake hub connection: records sends; the test answers or fails each one. */
function fakeHub() {
  const sent: Array<{ p: PublishEvent; answer(r: Partial<PublishResult>): void; fail(err: unknown): void }> = [];
  return {
    sent,
    send: (p: PublishEvent) =>
      new Promise<PublishResult>((resolve, reject) =>
        sent.push({ p, answer: (r) => resolve({ id: p.id!, offset: 1, durable: true, duplicate: false, ...r }), fail: reject }),
      ),
  };
}
const ev = (id: string) => ({ id, topic: 't', payload: id });
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('PublishWindow', () => {
  it('re-sends what a dropped connection left unconfirmed, same ids, in order, before anything new', async () => {
    const hub = fakeHub();
    const w = new PublishWindow({ capacity: 10, deadlineMs: 5000, send: hub.send });
    w.resume();
    const a = w.publish(ev('a'));
    const b = w.publish(ev('b'));
    await tick();
    hub.sent[0]!.answer({ durable: false }); // accepted, queued by a hub whose store is down
    w.pause();
    hub.sent[1]!.fail(new HubError('REQUEST_TIMEOUT', 'disconnected'));
    const c = w.publish(ev('c')); // made while away
    await tick();
    expect(hub.sent).toHaveLength(2);
    w.resume();
    await tick();
    expect(hub.sent.slice(2).map((s) => [s.p.id, s.p.retry])).toEqual([
      ['a', true],
      ['b', true],
      ['c', undefined],
    ]);
    hub.sent.slice(2).forEach((s) => s.answer({}));
    await expect(Promise.all([a, b, c])).resolves.toHaveLength(3);
    expect(w.depth).toBe(0);
  });

  it('resolves an event answered durable:false when the hub says it became durable', async () => {
    const hub = fakeHub();
    const w = new PublishWindow({ capacity: 10, deadlineMs: 5000, send: hub.send });
    w.resume();
    const p = w.publish(ev('x'));
    await tick();
    hub.sent[0]!.answer({ durable: false, offset: 7 });
    await tick();
    expect(w.depth).toBe(1);
    w.durable(['x']);
    await expect(p).resolves.toMatchObject({ id: 'x', offset: 7, durable: true });
  });

  it('rejects after the deadline with a code that says what happened', async () => {
    const hub = fakeHub();
    const w = new PublishWindow({ capacity: 10, deadlineMs: 50, send: hub.send });
    w.resume();
    const never = w.publish(ev('never'));
    const queued = w.publish(ev('queued'));
    await tick();
    hub.sent[1]!.answer({ durable: false });
    await expect(never).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT' });
    await expect(queued).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('fails at once on a refusal that a re-send cannot fix', async () => {
    const hub = fakeHub();
    const w = new PublishWindow({ capacity: 10, deadlineMs: 5000, send: hub.send });
    w.resume();
    const p = w.publish(ev('bad'));
    await tick();
    hub.sent[0]!.fail(new HubError('TOPIC_INVALID', 'no'));
    await expect(p).rejects.toMatchObject({ code: 'TOPIC_INVALID' });
    expect(w.depth).toBe(0);
  });

  it('retries after the delay a RATE_LIMITED refusal names', async () => {
    const hub = fakeHub();
    const w = new PublishWindow({ capacity: 10, deadlineMs: 5000, send: hub.send });
    w.resume();
    const p = w.publish(ev('slow'));
    await tick();
    hub.sent[0]!.fail(new HubError('RATE_LIMITED', 'later', { retryAfterMs: 30 }));
    await new Promise((r) => setTimeout(r, 10));
    expect(hub.sent).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 40));
    // A refusal proves the hub did not take it: sent again as a plain publish (no log lookup).
    expect(hub.sent[1]!.p).toMatchObject({ id: 'slow' });
    expect(hub.sent[1]!.p.retry).toBeUndefined();
    hub.sent[1]!.answer({});
    await expect(p).resolves.toMatchObject({ durable: true });
  });

  it('makes publish() wait for a slot when the window is full', async () => {
    const hub = fakeHub();
    const w = new PublishWindow({ capacity: 2, deadlineMs: 5000, send: hub.send });
    w.resume();
    void w.publish(ev('1'));
    void w.publish(ev('2'));
    let third = false;
    const p3 = w.publish(ev('3')).then(() => (third = true));
    await tick();
    expect(hub.sent).toHaveLength(2);
    hub.sent[0]!.answer({});
    await tick();
    await tick();
    expect(hub.sent).toHaveLength(3);
    hub.sent[1]!.answer({});
    hub.sent[2]!.answer({});
    await p3;
    expect(third).toBe(true);
  });
});
