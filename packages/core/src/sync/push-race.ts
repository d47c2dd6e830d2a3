/**
 * How often a push that lost a race (another machine pushed first) fetches, merges and tries
 * again, and how long it waits in between. The wait grows and is randomised, so machines that
 * keep colliding fall out of step instead of colliding again: with three machines pushing
 * continuously, five immediate retries were not always enough.
 */
export const PUSH_ATTEMPTS = 10;

export function pushRetryDelay(attempt: number): Promise<void> {
  const ceiling = Math.min(2_000, 50 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ceiling / 2 + Math.random() * (ceiling / 2)));
}
