export { settleWithin, type WithinDeadline } from './deadline.ts';
export { jitteredDelay } from './retry-backoff.ts';
export { RecoveryProbe, type RecoveryProbeSettings } from './recovery-probe.ts';
