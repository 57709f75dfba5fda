/**
 * Stores reached over the network. One of them can go silent (packets dropped) rather than
 * refuse: its driver then fails a call only when it gives up on the connection, seconds later.
 * Writes to them are waited for a bounded time (`STORE_QUEUE_AFTER_MS`) before the hub asks
 * whether the store is there at all. An embedded store answers or fails (and a ping waits behind
 * its busy worker, so it could not tell busy from gone).
 */
const NETWORK_STORES = new Set(['postgres', 'redis']);

export const isNetworkStore = (kind: string): boolean => NETWORK_STORES.has(kind);
