export { AgentClient, connectAgent } from './agent-client.ts';
export type { ConnectOptions, SubscribeOptions, SubscriptionOptions } from './agent-client.ts';
export type { CallOptions } from './abort.ts';
export type { ClientState, ClosedInfo, StateChange } from './client-state.ts';
export { EventSubscription } from './event-subscription.ts';
export { ProcessedRegistry } from './processed-registry.ts';
export type { EventHandler } from './subscriptions.ts';
export { HubError } from '@agent-hub/protocol';
export { joinGroup, groupTasks } from './group-participant.ts';
export type {
  GroupParticipant,
  GroupTurnContext,
  JoinOptions,
  TaskHandler,
  TaskWork,
  TurnAnswer,
  TurnHandler,
} from './group-participant.ts';
export type { PublishJournal } from './publish-journal.ts';
export { hubCheckpoints } from './checkpoints.ts';
export type { HubCheckpoints } from './checkpoints.ts';
