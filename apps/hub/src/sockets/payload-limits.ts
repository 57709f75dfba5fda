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
 * something else. Refused here instead, on every transport and store. Iterative: a hostile payload
 * cannot overflow the stack.
 */
export function payloadProblem(value: unknown, maxDepth: number): string | null {
  if (typeof value === 'string') return stringProblem(value);
  if (value === null || typeof value !== 'object') return null;
  const stack: Array<{ v: object; depth: number }> = [{ v: value, depth: 1 }];
  while (stack.length) {
    const { v, depth } = stack.pop()!;
    if (depth > maxDepth) return `payload nests deeper than ${maxDepth} levels`;
    const isArray = Array.isArray(v);
    for (const key of isArray ? [] : Object.keys(v)) {
      const p = stringProblem(key);
      if (p) return p;
    }
    for (const c of isArray ? v : Object.values(v)) {
      if (typeof c === 'string') {
        const p = stringProblem(c);
        if (p) return p;
      } else if (c !== null && typeof c === 'object') {
        if (ArrayBuffer.isView(c) || c instanceof ArrayBuffer) return BINARY;
        stack.push({ v: c, depth: depth + 1 });
      }
    }
  }
  return null;
}

function stringProblem(s: string): string | null {
  if (s.includes('\0')) return NUL;
  if (!(s as string & { isWellFormed(): boolean }).isWellFormed()) return SURROGATE;
  return null;
}

const BINARY = 'payloads are JSON values: binary data (a Buffer, ArrayBuffer or typed array) is not one; encode it, e.g. as base64';
const NUL = 'strings may not contain the NUL character (\\u0000)';
const SURROGATE = 'strings may not contain an unpaired UTF-16 surrogate (\\ud800-\\udfff): they are not valid Unicode';
