export { preflight } from './preflight.ts';
export { StartupError, describeError, redactUrl } from './startup-error.ts';
export { HUB_PID_FILE, runningHubPid, writeHubPidFile } from './hub-pid-file.ts';
