import { oneOf, runCommand, UsageError, wholeNumber } from '../command-line.js';
import { generatePreset, PRESETS } from '../workspace-generator.js';

const PRESET_NAMES = Object.keys(PRESETS) as (keyof typeof PRESETS)[];

await runCommand({
  name: 'workspace-generator',
  usage: 'node tools/dist/bin/workspace-generator.js --root DIR [options]',
  summary: 'Writes a realistic PlanAlign workspace root, deterministic from a seed, with sparse databases.',
  options: {
    root: { type: 'string', value: 'DIR', description: 'the folder to write the workspaces in (required)' },
    preset: { type: 'string', value: 'NAME', description: `the size: ${PRESET_NAMES.join(', ')} (default demo)` },
    seed: { type: 'string', value: 'N', description: 'the seed of the generated content (default: a fixed one)' },
  },
  parse: (values) => {
    if (!values.root) throw new UsageError('--root DIR is required');
    return {
      root: values.root,
      preset: oneOf(values.preset, '--preset', PRESET_NAMES, 'demo'),
      seed: values.seed === undefined ? undefined : wholeNumber(values.seed, '--seed', { fallback: 0, min: 0 }),
    };
  },
  run: generatePreset,
});
