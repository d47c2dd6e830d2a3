import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';

/** A stand-in for `planalign simulate`, for tests and demos of regeneration (see the file). */
export const SIMULATOR = fileURLToPath(new URL('../test/fixtures/simulator.mjs', import.meta.url));

/** Points a root's `regenerate.command` at the stand-in simulator, keeping the rest of its settings. */
export async function configureSimulator(root: string): Promise<void> {
  const file = path.join(root, '.planalign-sync.yaml');
  const document = parseDocument(await fsp.readFile(file, 'utf8'));
  document.set('regenerate', { command: `"${process.execPath}" "${SIMULATOR}" {start_year}-{end_year} --config {config} --database {database}` });
  await fsp.writeFile(file, document.toString());
}

/** Makes the stand-in fail half-way (`fail`) or take its time (`slow`) for one run. */
export async function setSimulatorBehaviour(runDir: string, behaviour: 'fail' | 'slow' | 'normal'): Promise<void> {
  const file = path.join(runDir, 'config.yaml');
  const config = (await fsp.readFile(file, 'utf8')).replace(/^test_behaviour: .*\n/m, '');
  await fsp.writeFile(file, behaviour === 'normal' ? config : `${config}test_behaviour: ${behaviour}\n`);
}
