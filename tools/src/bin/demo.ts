import { runCommand, wholeNumber } from '../command-line.js';
import { runDemo } from '../demo.js';

await runCommand({
  name: 'demo',
  usage: 'npm start -- [options]',
  summary:
    'The demo: sample workspaces on machine A, a loopback Git remote, machine B getting them back through the real planalign\n' +
    "command, in a temporary folder; then machine B's dashboard until Ctrl-C, with one change waiting on each side.",
  options: {
    port: { type: 'string', value: 'N', description: "the dashboard's port; 0: any free one (default 8765, or any free one when it is taken)" },
    'no-dashboard': { type: 'boolean', description: 'stop after the walkthrough' },
    keep: { type: 'boolean', description: 'keep the temporary folder afterwards' },
  },
  parse: (values) => ({
    port: wholeNumber(values.port, '--port', { fallback: 8765, min: 0, max: 65535 }),
    dashboard: !values['no-dashboard'],
    keep: values.keep === true,
  }),
  run: runDemo,
  failure: (error) => `Demo failed: ${error instanceof Error ? error.message : String(error)}`,
});
