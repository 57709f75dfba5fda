export { AgentDirectory } from './agent-directory.ts';
export type { AgentDirectoryEvents, AgentDirectoryDeps } from './agent-directory.ts';
