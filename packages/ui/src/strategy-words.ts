import type { SyncConfig } from './api.js';

type Strategy = SyncConfig['conflict_strategy'];

/**
 * Each conflict setting in a planner's words: its label and help in Settings, and the phrase
 * the look before a sync and the History use ("the newest change wins").
 */
export const STRATEGIES: { value: Strategy; label: string; help: string; phrase: string }[] = [
  {
    value: 'last-write-wins',
    label: 'Newest change wins',
    help: 'The version changed most recently is kept; the other is saved as a backup.',
    phrase: 'the newest change wins',
  },
  { value: 'ask-user', label: 'Ask me', help: 'Sync stops and lets you choose under Conflicts.', phrase: 'you choose under Conflicts' },
  {
    value: 'keep-local',
    label: 'This computer wins',
    help: 'This computer’s version is kept; the other is saved as a backup.',
    phrase: 'this computer wins',
  },
  {
    value: 'keep-remote',
    label: 'The other computers win',
    help: 'The version from the other computers is kept; this computer’s is saved as a backup.',
    phrase: 'the other computers win',
  },
];

/** "the newest change wins" for `last-write-wins`; an unknown strategy is shown as it is named. */
export function strategyPhrase(strategy: string): string {
  return STRATEGIES.find((s) => s.value === strategy)?.phrase ?? strategy;
}
