import { afterEach, describe, expect, it } from 'vitest';
import { OrderedEmitter } from './ordered-emitter.ts';
import { TypedEmitter, setListenerErrorHandler, type ListenerErrorHandler } from './typed-emitter.ts';

type Events = { ping: [number]; pong: [] };

describe('TypedEmitter listener errors', () => {
  let restore: ListenerErrorHandler | null = null;
  afterEach(() => {
    if (restore) setListenerErrorHandler(restore);
    restore = null;
  });

  it('a throwing listener does not stop the next one, and the error reaches the handler with the event name', () => {
    const reported: Array<{ event: string; err: unknown }> = [];
    restore = setListenerErrorHandler((event, err) => reported.push({ event, err }));
    const emitter = new TypedEmitter<Events>();
    const boom = new Error('boom');
    const seen: number[] = [];
    emitter.on('ping', () => {
      throw boom;
    });
    emitter.on('ping', (n) => seen.push(n));

    expect(() => emitter.emit('ping', 7)).not.toThrow();

    expect(seen).toEqual([7]);
    expect(reported).toEqual([{ event: 'ping', err: boom }]);
  });

  it('prefers the emitter’s own onListenerError over the module-wide handler', () => {
    const global: string[] = [];
    restore = setListenerErrorHandler((event) => global.push(event));
    const own: Array<{ event: string; err: unknown }> = [];
    const emitter = new TypedEmitter<Events>({ onListenerError: (event, err) => own.push({ event, err }) });
    emitter.on('pong', () => {
      throw 'not an Error';
    });

    emitter.emit('pong');

    expect(own).toEqual([{ event: 'pong', err: 'not an Error' }]);
    expect(global).toEqual([]);
  });

  it('a handler that throws itself is contained, and the remaining listeners still run', () => {
    restore = setListenerErrorHandler(() => {
      throw new Error('handler broke');
    });
    const emitter = new TypedEmitter<Events>();
    let reached = false;
    emitter.on('pong', () => {
      throw new Error('listener broke');
    });
    emitter.on('pong', () => (reached = true));

    expect(() => emitter.emit('pong')).not.toThrow();
    expect(reached).toBe(true);
  });

  it('subclasses (OrderedEmitter) report through the same handler', () => {
    const reported: string[] = [];
    restore = setListenerErrorHandler((event) => reported.push(event));
    const emitter = new OrderedEmitter<Events>();
    emitter.on('ping', () => {
      throw new Error('x');
    });

    emitter.emit('ping', 1);

    expect(reported).toEqual(['ping']);
  });

  it('setListenerErrorHandler returns the handler it replaced; null restores the default', () => {
    const first: ListenerErrorHandler = () => {};
    const original = setListenerErrorHandler(first);
    expect(setListenerErrorHandler(null)).toBe(first);
    expect(setListenerErrorHandler(original)).not.toBe(first);
  });
});
