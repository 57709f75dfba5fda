export * from './clock.ts';
export * from './logger.ts';
export * from './ids.ts';
export * from './store.ts';
export * from './typed-emitter.ts';
export * from './ordered-emitter.ts';
