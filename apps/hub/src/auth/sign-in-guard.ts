import { HubError } from '@agent-hub/protocol';
import type { Socket } from 'socket.io';
import type { Metrics } from '../observability/metrics.ts';
import { clientAddress, type TrustedProxies } from './client-address.ts';
import type { SignInLimiter } from './sign-in-limiter.ts';

export type Transport = 'http' | 'socket';
export type ClientKind = 'operator' | 'agent';

/** Failed sign-ins per client address, for every door into the hub (HTTP bearer, both socket namespaces). */
export class SignInGuard {
  constructor(
    private readonly limiter: SignInLimiter,
    private readonly trusted: TrustedProxies,
    private readonly metrics: Metrics,
  ) {}

  address(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
    return clientAddress(peer, forwardedFor, this.trusted);
  }

  socketAddress(socket: Socket): string {
    return this.address(socket.handshake.address, socket.handshake.headers['x-forwarded-for']);
  }

  /** Throws RATE_LIMITED (with `details.retryAfterMs`) while `address` has failed too often. */
  admit(address: string, transport: Transport, client: ClientKind): void {
    const ms = this.limiter.retryAfterMs(address);
    if (ms <= 0) return;
    this.metrics.authRateLimited.inc({ transport, client });
    throw new HubError('RATE_LIMITED', `too many failed sign-ins from ${address}; try again in ${Math.ceil(ms / 1000)} s`, {
      retryAfterMs: ms,
    });
  }

  failed(address: string, transport: Transport, client: ClientKind): void {
    this.metrics.authFailures.inc({ transport, client });
    this.limiter.failed(address);
  }
}

/** A Socket.IO handshake refusal: the client's `connect_error` carries `data: {code, message, details?}`. */
export function handshakeRefusal(err: HubError): Error {
  const e = new Error(err.code) as Error & { data: unknown };
  e.data = err.toJSON();
  return e;
}

interface GuardedContext {
  signIns: SignInGuard;
}

/** A namespace middleware, installed before the namespace's own check: locked-out addresses get `RATE_LIMITED`. */
export function refuseLockedOut(ctx: GuardedContext, client: ClientKind) {
  return (socket: Socket, next: (err?: Error) => void): void => {
    try {
      ctx.signIns.admit(ctx.signIns.socketAddress(socket), 'socket', client);
      next();
    } catch (err) {
      next(handshakeRefusal(err as HubError));
    }
  };
}

/** Counts a handshake refused for a wrong token against its address. */
export function noteFailedHandshake(ctx: GuardedContext, socket: Socket, client: ClientKind): void {
  ctx.signIns.failed(ctx.signIns.socketAddress(socket), 'socket', client);
}
