/** Types of pglite-durable.mjs (plain JavaScript, so that the initdb child process loads it without tsx). */
export declare const syncCounts: { files: number; folders: number; folderFailures: number };
export declare function durableStartParams(defaults: readonly string[]): string[];
export declare function syncToDisk(client: unknown): void;
export declare function syncTree(folder: string): void;
export declare function syncFolder(folder: string): void;
