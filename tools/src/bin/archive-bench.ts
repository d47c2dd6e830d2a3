import { runCommand, wholeNumber } from '../command-line.js';
import { runArchiveBench } from '../archive-bench.js';

await runCommand({
  name: 'bench:archive',
  usage: 'npm run bench:archive -- [options]',
  summary:
    'How the remote grows per 1,000 runs, with and without archiving the old workspaces: two identical roots pushed to two\n' +
    'loopback remotes, one archiving all workspaces but the first, then the same new runs added to the first in both;\n' +
    "each remote measured with native git's count-objects -v (and -vH), as it is and after git gc on a copy.",
  options: {
    workspaces: { type: 'string', value: 'N', description: 'workspaces in each root, 10 scenarios each (default 10)' },
    'old-runs': { type: 'string', value: 'N', description: 'runs already in each root before (default 2000)' },
    runs: { type: 'string', value: 'N', description: 'new runs added to the first workspace (default 1000)' },
    batch: { type: 'string', value: 'N', description: 'new runs per push (default 50)' },
  },
  parse: (values) => ({
    workspaces: wholeNumber(values.workspaces, '--workspaces', { fallback: 10, min: 2, max: 500 }),
    oldRuns: wholeNumber(values['old-runs'], '--old-runs', { fallback: 2000, min: 0 }),
    newRuns: wholeNumber(values.runs, '--runs', { fallback: 1000, min: 1 }),
    batch: wholeNumber(values.batch, '--batch', { fallback: 50, min: 1 }),
  }),
  run: runArchiveBench,
  failure: (error) => `Benchmark failed: ${error instanceof Error ? error.stack : String(error)}`,
});
