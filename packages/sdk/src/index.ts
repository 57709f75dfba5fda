export { AgentClient, connectAgent } from './agent-client.ts';
export type { ConnectOptions, SubscribeOptions } from './agent-client.ts';
export { ProcessedRegistry } from './processed-registry.ts';
export type { EventHandler } from './subscriptions.ts';
export { HubError } from '@agent-hub/protocol';
export { joinGroup, groupTasks } from './group-participant.ts';
export type { GroupParticipant, GroupTurnContext, JoinOptions, TaskHandler, TaskWork, TurnAnswer, TurnHandler } from './group-participant.ts';
export type { PublishJournal } from './publish-journal.ts';
