/** How a file changed on both sides is settled: the values of `conflict_strategy`. */
export const CONFLICT_STRATEGIES = ['last-write-wins', 'ask-user', 'keep-local', 'keep-remote'] as const;
