import type { Socket } from 'socket.io-client';

/**
 * The client's sockets when it knows several hub URLs: one socket (and its own socket.io Manager)
 * per URL, made on first use, only one of them active. socket.io-client connects a Manager to one
 * URL for good, so moving to another node means moving to another socket; the SDK's own state
 * (subscriptions, publish window, processed ids, offsets) lives in the client and goes along.
 * With several URLs the sockets do not reconnect on their own: every attempt is scheduled here,
 * each one to the next URL, so a client finds a surviving node.
 */
export class UrlFailover {
  private readonly sockets = new Map<number, Socket>();
  private at = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Attempts since the last successful connect (feeds the backoff). */
  attempts = 0;

  constructor(
    private readonly urls: readonly string[],
    /** Makes (and wires) the socket of one URL; called once per URL. */
    private readonly open: (url: string, reconnection: boolean) => Socket,
  ) {
    if (urls.length === 0) throw new Error('UrlFailover needs at least one url');
  }

  /** More than one URL: attempts are scheduled here and rotate; with one, socket.io-client reconnects itself. */
  get several(): boolean {
    return this.urls.length > 1;
  }

  get current(): Socket {
    let s = this.sockets.get(this.at);
    if (!s) this.sockets.set(this.at, (s = this.open(this.urls[this.at]!, !this.several)));
    return s;
  }

  get url(): string {
    return this.urls[this.at]!;
  }

  /** Is `s` the active socket? Events of a socket left behind are ignored. */
  isCurrent(s: Socket): boolean {
    return this.sockets.get(this.at) === s;
  }

  /** A scheduled attempt is waiting. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  /**
   * After a failed attempt or a dropped connection: leaves the current socket (stopping anything
   * it still does) and, after `delayMs`, connects the next URL's socket. `onAttempt` runs just
   * before that connect. A move already scheduled wins: a second failure report changes nothing.
   */
  moveOn(delayMs: number, onAttempt: () => void): void {
    if (this.timer !== undefined) return;
    this.current.disconnect();
    this.attempts++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.at = (this.at + 1) % this.urls.length;
      onAttempt();
      this.current.connect();
    }, delayMs);
  }

  /** Connected: the next failure starts the backoff again. */
  connected(): void {
    this.attempts = 0;
  }

  /** Cancels a scheduled attempt and disconnects every socket (the client is closing). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const s of this.sockets.values()) s.disconnect();
  }
}
