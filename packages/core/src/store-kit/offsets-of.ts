/** `EventLog.offsetsOf` for adapters that keep an id → offset index in memory (memory, file). */
export function offsetsOf(index: ReadonlyMap<string, number>, ids: string[]): Map<string, number> {
  const found = new Map<string, number>();
  for (const id of ids) {
    const offset = index.get(id);
    if (offset !== undefined) found.set(id, offset);
  }
  return found;
}
