/**
 * Adds every item to the end of `target`. `target.push(...items)` passes each item as an
 * argument, and fails with a RangeError past about 120,000 of them (a pull of a large root).
 */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}
