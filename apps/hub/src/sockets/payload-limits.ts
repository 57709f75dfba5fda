import type { Socket } from 'socket.io';

/**
 * The bytes of the Socket.IO message being handled, as the transport received them: a text
 * frame, plus its binary attachments if any. Counting what arrived costs nothing per event;
 * re-serialising every payload to measure it cost the hub a large share of its CPU at 10k/s.
 */
export function trackPacketBytes(socket: Socket): void {
  socket.conn.on('packet', (p: { type: string; data?: unknown }) => {
    if (p.type !== 'message') return;
    const d = p.data;
    // A text frame starts a message; binary frames that follow are its attachments.
    if (typeof d === 'string') socket.data.packetBytes = d.length;
    else if (d && typeof (d as ArrayBufferLike).byteLength === 'number') socket.data.packetBytes = (socket.data.packetBytes ?? 0) + (d as ArrayBufferLike).byteLength;
  });
}

/** Bytes of the message now being handled (0 if unknown). UTF-16 units: a lower bound of UTF-8 bytes. */
export function packetBytes(socket: Socket): number {
  return socket.data.packetBytes ?? 0;
}

/** True when objects/arrays nest deeper than `max` (iterative: a hostile payload cannot overflow the stack). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: Array<{ v: object; depth: number }> = [{ v: value, depth: 1 }];
  while (stack.length) {
    const { v, depth } = stack.pop()!;
    if (depth > max) return true;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) if (c !== null && typeof c === 'object') stack.push({ v: c, depth: depth + 1 });
  }
  return false;
}
