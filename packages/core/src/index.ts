export * from './ports/index.ts';
export * from './agents/index.ts';
export * from './sessions/index.ts';
export * from './events/index.ts';
export * from './health/index.ts';
export * from './store-outage/index.ts';
export { FakeClock } from './testing/fake-clock.ts';
export * from './groups/index.ts';
export * from './memory-store/index.ts';
