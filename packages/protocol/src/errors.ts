/**
 * Every error the hub reports carries one of these stable codes, in HTTP bodies and socket acks
 * alike. docs/protocol.md lists them with their meaning; keep both in step.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHENTICATED: 401,
  PROTOCOL_UNSUPPORTED: 400,
  AGENT_UNAUTHORIZED: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  SESSION_VERSION_CONFLICT: 409,
  VERSION_CONFLICT: 409,
  SESSION_NOT_MEMBER: 403,
  SESSION_EXPIRED: 409,
  SESSION_MESSAGE_ID_CONFLICT: 409,
  SESSION_LIMIT_REACHED: 503,
  AGENT_NOT_REGISTERED: 409,
  AGENT_NOT_FOUND: 404,
  OUT_OF_ORDER: 409,
  TOPIC_INVALID: 400,
  EVENT_DUPLICATE: 409,
  EVENT_NOT_FOUND: 404,
  DEAD_LETTER_NOT_FOUND: 404,
  DEAD_LETTER_RESOLVED: 409,
  AGENT_OFFLINE: 409,
  AGENT_NOT_SUBSCRIBED: 409,
  GROUP_NOT_FOUND: 404,
  GROUP_SIZE_INVALID: 400,
  GROUP_NOT_YOUR_TURN: 409,
  GROUP_ENDED: 409,
  GROUP_PAUSED: 409,
  GROUP_NOT_MEMBER: 403,
  TASK_NOT_FOUND: 404,
  TASK_STATE_INVALID: 409,
  HUB_DEGRADED: 503,
  HUB_SHUTTING_DOWN: 503,
  STORE_UNAVAILABLE: 503,
  RATE_LIMITED: 429,
  CONFIG_INVALID: 500,
  REQUEST_TIMEOUT: 504,
  /** SDK only: the caller aborted the call through its AbortSignal (499, as proxies log a client that went away). */
  ABORTED: 499,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** The one error type of the hub: a stable code, a message for humans, optional details. */
export class HubError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'HubError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }

  toJSON(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static is(err: unknown, code?: ErrorCode): err is HubError {
    return err instanceof HubError && (code === undefined || err.code === code);
  }

  static fromBody(body: ErrorBody): HubError {
    return new HubError(body.code, body.message, body.details);
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}
