/** `EventLog.offsetsOf` for adapters that keep an id → offset index in memory (memory, file). */
export function offsetsOf(index: ReadonlyMap<string, number>, ids: string[]): Map<string, number> {
  const found = new Map<string, number>();
  for (const id of ids) {
    const offset = index.get(id);
    if (offset !== undefined) found.set(id, offset);
  }
  return found;
}

/**
 * `EventLog.appendEvents`' rules for adapters with an in-memory index (memory, file): the events of
 * `batch` to store, in order — each id once, none already stored — and, like the single SQL
 * statement, an offset already taken (or taken twice in the batch) rejects the whole batch.
 */
export function freshEvents<E extends { id: string; offset: number }>(
  batch: E[],
  stored: { has(id: string): boolean },
  taken: { has(offset: number): boolean },
): E[] {
  const fresh: E[] = [];
  const ids = new Set<string>();
  const offsets = new Set<number>();
  for (const e of batch) {
    if (stored.has(e.id) || ids.has(e.id)) continue;
    if (taken.has(e.offset) || offsets.has(e.offset)) throw new Error(`offset ${e.offset} is already taken`);
    ids.add(e.id);
    offsets.add(e.offset);
    fresh.push(e);
  }
  return fresh;
}
