import { runCommand, wholeNumber } from '../command-line.js';
import { ROOT_NAMES, runBenchmarks } from '../bench.js';

await runCommand({
  name: 'bench',
  usage: 'npm run bench -- [options]',
  summary:
    'planalign-sync against native git on the same trees, over the same loopback Git server: median time and peak memory\n' +
    'of first push, no-change status, clone, incremental push and pull. Without a root option: the typical and large roots.',
  options: {
    typical: { type: 'boolean', description: 'the typical root: 3 workspaces, 12 scenarios, 45 runs (the root options combine)' },
    large: { type: 'boolean', description: 'the large root: 50 workspaces, 1,000 scenarios, 10,000 runs (at most 3 runs)' },
    huge: { type: 'boolean', description: 'the huge root: 100 workspaces, 5,000 scenarios, 100,000 runs (1 run)' },
    runs: { type: 'string', value: 'N', description: 'repetitions of each measurement, the median reported (default 5)' },
  },
  parse: (values) => {
    const chosen = ROOT_NAMES.filter((name) => values[name]);
    return { roots: chosen.length > 0 ? chosen : (['typical', 'large'] as const), runs: wholeNumber(values.runs, '--runs', { fallback: 5, min: 1 }) };
  },
  run: runBenchmarks,
  failure: (error) => `Benchmark failed: ${error instanceof Error ? error.stack : String(error)}`,
});
