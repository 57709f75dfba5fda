import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { Server } from 'socket.io';
import { silentLogger } from '@agent-hub/core';
import { deleteKeysWithPrefix } from '@agent-hub/store';
import { attachRedisAdapter } from './redis-adapter.ts';
import { redisUrlOrSkip } from '../../test/support/redis-or-skip.ts';

const redisUrl = await redisUrlOrSkip('the Redis adapter link against a real Redis');
const prefix = `adapter-test:${randomBytes(4).toString('hex')}:`;
afterAll(async () => {
  if (redisUrl) await deleteKeysWithPrefix(redisUrl, prefix);
});

(redisUrl ? describe : describe.skip)('redis adapter link', () => {
  it('drops a broadcast made after its connections closed without an unhandled rejection', async () => {
    // The Socket.IO adapter publishes without handling the result: a broadcast that races the
    // hub's shutdown (an agent leaving as the link closes) would otherwise reject unhandled.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const io = new Server(createServer());
    try {
      const link = attachRedisAdapter(io, redisUrl!, prefix, 'adapter-node', silentLogger);
      await link.relay.start(() => undefined);
      // The hub's order at shutdown: Socket.IO first (its adapter unsubscribes), then the link.
      void io.close();
      link.relay.close();
      await link.close();
      io.emit('late', { after: 'close' });
      await new Promise((r) => setTimeout(r, 200));
      expect(unhandled.map(String)).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
