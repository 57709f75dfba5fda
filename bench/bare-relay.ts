/**
 * The events baseline: a bare Socket.IO server on loopback that relays each published message to a
 * room and acks the publisher at once — no validation, offsets, persistence or SDK. Same heartbeat
 * and transport settings as the hub. Runs as a forked worker (see worker-rpc.ts).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { serveWorker } from './worker-rpc.ts';

const http = createServer();
const io = new Server(http, { pingInterval: 1500, pingTimeout: 1500, serveClient: false, cors: { origin: false } });
const relay = io.of('/relay');

relay.on('connection', (socket) => {
  socket.on('subscribe', (room: string, ack: (r: unknown) => void) => {
    void socket.join(room);
    ack({ ok: true });
  });
  socket.on('publish', (msg: { room: string; topic: string; payload: unknown }, ack: (r: unknown) => void) => {
    relay.to(msg.room).emit('event', msg);
    ack({ ok: true });
  });
});

serveWorker(
  {
    listen: () =>
      new Promise<{ url: string }>((resolve) => {
        http.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/relay` }));
      }),
  },
  () => new Promise<void>((resolve) => io.close(() => resolve())),
);
