/** Defaults shared by hub and SDK; the hub's configuration can lower or raise the payload caps. */
export const LIMITS = {
  /** Largest socket message the hub accepts (Socket.IO maxHttpBufferSize). */
  socketMaxBytes: 1_000_000,
  /** Largest HTTP body the hub accepts. */
  httpMaxBytes: 1_000_000,
  agentIdMax: 128,
  nameMax: 200,
  capabilitiesMax: 64,
  topicMax: 256,
  topicSegmentsMax: 8,
  messageContentMax: 200_000,
  /** Deepest nesting of objects and arrays a payload may have (deeper ones overflow parsers and serialisers). */
  nestingMax: 64,
  /** Most events one `event:publish-batch` may carry. */
  publishBatchMax: 500,
} as const;

/** Largest value of a PostgreSQL integer column (versions, counters): larger ones are refused at the edge. */
export const INT32_MAX = 2_147_483_647;
