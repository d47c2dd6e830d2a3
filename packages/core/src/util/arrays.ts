/**
 * Adds every item to the end of `target`. `target.push(...items)` passes each item as an
 * argument, and fails with a RangeError past about 120,000 of them (a pull of a large root).
 */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}

/** Adds an item to the list kept under `key`, starting the list when there is none. */
export function groupInto<K, T>(groups: Map<K, T[]>, key: K, item: T): void {
  const list = groups.get(key);
  if (list) list.push(item);
  else groups.set(key, [item]);
}
