export * from './answers.ts';
export * from './payloads.ts';
export * from './socket-events.ts';
export { asyncApiDocument, componentSchemas } from './asyncapi.ts';
