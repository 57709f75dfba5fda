import { HubProcess } from '../apps/hub/test/support/hub-process.ts';
import { CpuMeter } from './cpu-meter.ts';
const hub = await HubProcess.start({ env: { STORE: 'memory' } });
await new Promise(r => setTimeout(r, 2000));
const m = new CpuMeter({ hub: hub.child!.pid! });
m.start(); await new Promise(r => setTimeout(r, 5000)); console.log(m.stop());
console.log(hub.output.slice(-2000));
await hub.stop();
