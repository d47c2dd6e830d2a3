import { runCommand, wholeNumber } from '../command-line.js';
import { serveGitRepositories } from '@planalign/git-test-server/git-server';

await runCommand({
  name: 'git-server',
  usage: 'node tools/dist/bin/git-server.js [options]',
  summary: 'A smart-HTTP Git server on 127.0.0.1 (git http-backend behind node:http) serving bare repositories until Ctrl-C.',
  options: {
    root: { type: 'string', value: 'DIR', description: 'the folder holding the bare repositories (default: a new temporary folder)' },
    port: { type: 'string', value: 'N', description: 'the port (default 0: any free one)' },
    repo: { type: 'string', multiple: true, value: 'NAME', description: 'create the repository NAME.git and print its URL (repeatable)' },
  },
  parse: (values) => ({
    projectRoot: values.root,
    port: wholeNumber(values.port, '--port', { fallback: 0, min: 0, max: 65535 }),
    repos: values.repo ?? [],
  }),
  run: serveGitRepositories,
});
