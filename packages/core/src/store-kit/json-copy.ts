/**
 * What a value looks like after a round trip through a JSON column (undefined becomes null,
 * Dates become strings, nothing is shared with the caller), so the memory store returns exactly
 * what the SQL adapters would.
 */
export function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value ?? null)) as T;
}
