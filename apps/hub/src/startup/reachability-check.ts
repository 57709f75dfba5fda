import net from 'node:net';
import { StartupError, describeError, redactUrl } from './startup-error.ts';

/** Bound on each connection check; a start-up failure must be reported within 10 s. */
export const CONNECT_TIMEOUT_MS = 3000;

/** Opens (and closes) a TCP connection to the URL's host and port, or names the setting that is wrong. */
export function checkReachable(setting: string, url: string, defaultPort: number, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(u.port || defaultPort);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const fail = (cause: string) => {
      socket.destroy();
      reject(new StartupError(setting, redactUrl(url), `cannot reach ${host}:${port}: ${cause}`));
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs} ms`));
    socket.once('error', (err) => fail(describeError(err)));
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
  });
}

/** Fails when the port cannot be bound on the host (in use, or not allowed). */
export function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      const cause = err.code === 'EADDRINUSE' ? `port ${port} on ${host} is in use (another hub running?)` : describeError(err);
      reject(new StartupError('PORT', String(port), cause));
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}
