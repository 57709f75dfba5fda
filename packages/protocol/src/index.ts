export * from './errors.ts';
export * from './ack.ts';
export * from './limits.ts';
export * from './common.ts';
export * from './agents.ts';
export * from './sessions.ts';
export * from './events.ts';
export * from './socket.ts';
