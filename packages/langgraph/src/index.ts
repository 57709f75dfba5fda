export { HubCheckpointSaver } from './hub-checkpoint-saver.ts';
