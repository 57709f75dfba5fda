import { randomUUID } from 'node:crypto';

export type IdGenerator = () => string;
/** UUID v4 from the platform's CSPRNG. */
export const uuidV4: IdGenerator = () => randomUUID();
