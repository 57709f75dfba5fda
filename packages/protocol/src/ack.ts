import type { ErrorBody } from './errors.ts';

/** The shape of every socket acknowledgement: a result or a typed error, never a bare value. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
export type AckCallback<T> = (ack: Ack<T>) => void;
