import { runCommand, wholeNumber } from '../command-line.js';
import { runSoakSuite } from '../soak.js';

await runCommand({
  name: 'soak',
  usage: 'npm run soak -- [options]',
  summary:
    'Soak: 3 machines editing and syncing at once through the real CLI, with server errors injected now and then; then one\n' +
    'root driven by the CLI, sync watch and the API at once. Fails on any failure that was not injected.',
  options: {
    operations: { type: 'string', value: 'N', description: 'operations of the 3 machines in all (default 3000)' },
    seconds: { type: 'string', value: 'S', description: 'how long the one root is driven three ways (default 60)' },
    seed: { type: 'string', value: 'S', description: 'seed of the random operations (default 1)' },
    verbose: { type: 'boolean', description: 'print each operation as it happens' },
  },
  parse: (values) => ({
    operations: wholeNumber(values.operations, '--operations', { fallback: 3000, min: 1 }),
    seconds: wholeNumber(values.seconds, '--seconds', { fallback: 60, min: 1 }),
    seed: wholeNumber(values.seed, '--seed', { fallback: 1, min: 0 }),
    verbose: values.verbose === true,
  }),
  run: runSoakSuite,
  failure: (error) => (error instanceof Error ? (error.stack ?? error.message) : String(error)),
});
