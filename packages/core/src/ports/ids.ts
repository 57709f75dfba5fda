import { timeOrderedId } from '@agent-hub/protocol';

export type IdGenerator = () => string;
/** UUID v7: time-ordered, so the store's indexes on ids grow at their right edge (see `timeOrderedId`). */
export const uuidV7: IdGenerator = () => timeOrderedId();
