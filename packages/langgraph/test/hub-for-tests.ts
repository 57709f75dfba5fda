import { HubCheckpointSaver } from '../src/index.ts';
import { startTestHub, type TestHub } from '../../../apps/hub/test/support/test-hub.ts';

export { startTestHub, type TestHub };

/** Deletes every thread the hub holds, through the saver's own API (the suite wants each saver to start empty). */
export async function deleteEveryThread(saver: HubCheckpointSaver): Promise<void> {
  const threads = new Set<string>();
  for await (const t of saver.list({})) threads.add(t.config.configurable?.thread_id as string);
  for (const threadId of threads) await saver.deleteThread(threadId);
}
