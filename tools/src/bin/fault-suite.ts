import { runCommand, wholeNumber } from '../command-line.js';
import { runFaultSuite } from '../fault-suite.js';

await runCommand({
  name: 'faults',
  usage: 'npm run faults -- [options]',
  summary:
    'The fault suite: every network fault a proxy in front of the loopback Git server injects, then SIGKILL at random\n' +
    'moments of push, pull, branch switch and merge, and conflict resolution, each outcome checked as a user would.',
  options: {
    kills: { type: 'string', value: 'N', description: 'rounds of SIGKILL (default 300; 0: the network faults only)' },
    seed: { type: 'string', value: 'S', description: 'seed of the random kill moments and edits (default 1)' },
    verbose: { type: 'boolean', description: 'print each step as it happens' },
  },
  parse: (values) => ({
    kills: wholeNumber(values.kills, '--kills', { fallback: 300, min: 0 }),
    seed: wholeNumber(values.seed, '--seed', { fallback: 1, min: 0 }),
    verbose: values.verbose === true,
  }),
  run: runFaultSuite,
  failure: (error) => (error instanceof Error ? (error.stack ?? error.message) : String(error)),
});
