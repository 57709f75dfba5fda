import type { Socket } from 'socket.io';

/**
 * Keeps the bytes of the Socket.IO message being handled, as the transport received them: a text
 * frame, plus its binary attachments if any (called for every packet of the connection). Counting
 * what arrived costs nothing per event; re-serialising every payload to measure it cost the hub a
 * large share of its CPU at 10k/s.
 */
export function notePacket(socket: Socket, p: { type: string; data?: unknown }): void {
  if (p.type !== 'message') return;
  const d = p.data;
  // A text frame starts a message; binary frames that follow are its attachments.
  if (typeof d === 'string') socket.data.packetBytes = d.length;
  else if (d && typeof (d as ArrayBufferLike).byteLength === 'number')
    socket.data.packetBytes = ((socket.data.packetBytes as number | undefined) ?? 0) + (d as ArrayBufferLike).byteLength;
}

/** Bytes of the message now being handled (0 if unknown). UTF-16 units: a lower bound of UTF-8 bytes. */
export function packetBytes(socket: Socket): number {
  return socket.data.packetBytes ?? 0;
}

/**
 * What is wrong with a payload's shape, or null: objects/arrays nested deeper than `maxDepth`;
 * a string or key PostgreSQL cannot store — one with a NUL character (text and jsonb refuse it) or
 * an unpaired UTF-16 surrogate (not Unicode: jsonb refuses its `\ud800` escape) — either of which
 * would fail in the store as INTERNAL; or binary data inside it (Socket.IO carries Buffers as
 * attachments): not JSON, so a local subscriber, one on another node and the log would each see
 * something else. Refused here instead, on every transport and store.
 *
 * Runs for every event the hub accepts, so it allocates next to nothing: for the benchmark's
 * payload ~16 bytes and 0.06 µs a call, against ~270 bytes and 0.09 µs for the earlier walk with
 * `Object.keys`/`Object.values` and a work list (~3 % of what the hub allocated per event at
 * 10,000/s). Recursive, but only `maxDepth` deep: a hostile payload is refused at that depth,
 * before it can overflow the stack.
 */
export function payloadProblem(value: unknown, maxDepth: number): string | null {
  if (typeof value === 'string') return stringProblem(value);
  if (value === null || typeof value !== 'object') return null;
  return objectProblem(value, 1, maxDepth);
}

function objectProblem(v: object, depth: number, maxDepth: number): string | null {
  if (depth > maxDepth) return `payload nests deeper than ${maxDepth} levels`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = valueProblem(v[i], depth, maxDepth);
      if (p) return p;
    }
    return null;
  }
  // A payload is parsed JSON: `for…in` meets its own keys, without the array Object.keys makes.
  for (const key in v) {
    const p = stringProblem(key) ?? valueProblem((v as Record<string, unknown>)[key], depth, maxDepth);
    if (p) return p;
  }
  return null;
}

function valueProblem(c: unknown, depth: number, maxDepth: number): string | null {
  if (typeof c === 'string') return stringProblem(c);
  if (c === null || typeof c !== 'object') return null;
  if (ArrayBuffer.isView(c) || c instanceof ArrayBuffer) return BINARY;
  return objectProblem(c, depth + 1, maxDepth);
}

function stringProblem(s: string): string | null {
  if (s.includes('\0')) return NUL;
  if (!(s as string & { isWellFormed(): boolean }).isWellFormed()) return SURROGATE;
  return null;
}

const BINARY = 'payloads are JSON values: binary data (a Buffer, ArrayBuffer or typed array) is not one; encode it, e.g. as base64';
const NUL = 'strings may not contain the NUL character (\\u0000)';
const SURROGATE = 'strings may not contain an unpaired UTF-16 surrogate (\\ud800-\\udfff): they are not valid Unicode';
