import { runCommand } from '../command-line.js';
import { runAudit } from '../audit.js';

await runCommand({
  name: 'audit',
  usage: 'npm run audit -- [options]',
  summary:
    'Dependency audit: npm audit of what the tool ships (no dev tools), failing on a known high or critical advisory, and\n' +
    'the direct dependencies behind their latest release. An advisory service out of reach is only reported.',
  options: {
    strict: { type: 'boolean', description: 'fail (exit 1) when the advisory service cannot be reached' },
  },
  parse: (values) => ({ strict: values.strict === true }),
  run: runAudit,
  failure: (error) => (error instanceof Error ? (error.stack ?? error.message) : String(error)),
});
