import { runCommand, wholeNumber } from '../command-line.js';
import { runPackBench } from '../pack-bench.js';

await runCommand({
  name: 'bench:packs',
  usage: 'npm run bench:packs -- [options]',
  summary:
    'What piled-up packs cost and what consolidating them costs: a history of N commits stored as N packs, read with 1 pack\n' +
    "and with N; then the N packs consolidated by planalign-sync's repack and by native git repack -a -d.",
  options: {
    packs: { type: 'string', value: 'N', description: 'commits in the history, one pack each (default 200)' },
    runs: { type: 'string', value: 'N', description: 'measurements of each layout: the fastest and the median are reported (default 3)' },
  },
  parse: (values) => ({
    packs: wholeNumber(values.packs, '--packs', { fallback: 200, min: 1 }),
    runs: wholeNumber(values.runs, '--runs', { fallback: 3, min: 1 }),
  }),
  run: runPackBench,
});
