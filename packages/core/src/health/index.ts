export { DegradationController } from './degradation.ts';
export type { DegradationSettings, DegradationState } from './degradation.ts';
export { HealthMonitor } from './health-monitor.ts';
export type { AgentControl, HealthSettings, HealthMonitorEvents } from './health-monitor.ts';
