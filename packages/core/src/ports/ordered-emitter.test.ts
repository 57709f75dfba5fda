import { describe, expect, it } from 'vitest';
import { OrderedEmitter } from './ordered-emitter.ts';

describe('OrderedEmitter', () => {
  it('delivers an event raised inside a listener after the current one has reached every listener', () => {
    const e = new OrderedEmitter<{ step: [string] }>();
    const log: string[] = [];
    e.on('step', (s) => {
      log.push(`first saw ${s}`);
      if (s === 'a') e.emit('step', 'b');
    });
    e.on('step', (s) => void log.push(`second saw ${s}`));
    e.emit('step', 'a');
    expect(log).toEqual(['first saw a', 'second saw a', 'first saw b', 'second saw b']);
  });

  it('keeps delivering after a listener throws', () => {
    const e = new OrderedEmitter<{ step: [number] }>();
    const got: number[] = [];
    e.on('step', (n) => {
      if (n === 1) {
        e.emit('step', 2);
        throw new Error('broken observer');
      }
    });
    e.on('step', (n) => void got.push(n));
    e.emit('step', 1);
    e.emit('step', 3);
    expect(got).toEqual([1, 2, 3]);
  });
});

describe('OrderedEmitter.emitPair', () => {
  it('delivers the second event before anything a listener of the first raises', () => {
    const e = new OrderedEmitter<{ change: [string]; record: [string] }>();
    const seen: string[] = [];
    e.on('change', (v) => {
      seen.push(`change ${v}`);
      if (v === 'a') e.emitPair('change', ['b'], 'record', ['b']);
    });
    e.on('record', (v) => void seen.push(`record ${v}`));
    e.emitPair('change', ['a'], 'record', ['a']);
    expect(seen).toEqual(['change a', 'record a', 'change b', 'record b']);
  });
});
