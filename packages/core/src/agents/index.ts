export { AgentDirectory } from './agent-directory.ts';
export type { AgentDirectoryEvents, AgentDirectoryDeps, TransitionOrigin } from './agent-directory.ts';
