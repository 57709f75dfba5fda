/**
 * The restart baseline for bench/restart.ts: a bare Socket.IO server on the port given as argv[2],
 * with the hub's heartbeat settings. SIGTERM ends it at once (process.exit, no goodbye), so its
 * clients see a transport close and come back through socket.io-client's own reconnection.
 * Tells its parent 'listening' over IPC; exits if the parent goes.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const http = createServer();
new Server(http, { pingInterval: 1500, pingTimeout: 1500, serveClient: false, cors: { origin: false } });
process.once('SIGTERM', () => process.exit(0));
process.once('disconnect', () => process.exit(0));
http.listen(Number(process.argv[2]), '127.0.0.1', () => process.send?.('listening'));
