/** Environment `pnpm start` and the Docker image give the hub process (see hub-launch.mjs). */
export declare const HUB_LAUNCH_ENV: Readonly<Record<string, string>>;
/** Node flags `pnpm start` and the Docker image give the hub process (see hub-launch.mjs). */
export declare const HUB_LAUNCH_NODE_ARGS: readonly string[];
/** The shell command line that launches `entry` with these settings, as `pnpm start` does. */
export declare function hubLaunchCommand(entry?: string): string;
