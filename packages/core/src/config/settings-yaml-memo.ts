import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { writeFileAtomicSync } from '../fs/atomic-write.js';
import { stateDir } from '../state/state-dir.js';

/**
 * The settings file's YAML as plain data, kept on this machine by the file's exact text: every
 * command reads the settings, and parsing the YAML was about a twentieth of a status. The data
 * is validated as it would be after a parse; only data JSON carries unchanged is kept (a `.inf`,
 * say, is parsed each time), and a memo that cannot be read or written counts as none.
 */
const MEMO_FILE = 'settings-yaml.json';
const FORMAT = 1;

interface Memo {
  format: number;
  text: string;
  data: unknown;
}

const memoFile = (root: string) => path.join(stateDir(path.join(root, '.git')), MEMO_FILE);

/** The data of this exact text, when a parse of it was kept; undefined otherwise. */
export function recalledYaml(root: string, text: string): unknown {
  try {
    const memo = JSON.parse(readFileSync(memoFile(root), 'utf8')) as Memo;
    return memo.format === FORMAT && memo.text === text ? memo.data : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps what a parse of `text` gave, for the next command, in a root that syncs. */
export function rememberYaml(root: string, text: string, data: unknown): void {
  const file = memoFile(root);
  if (!existsSync(path.dirname(file))) return;
  const json = JSON.stringify({ format: FORMAT, text, data } satisfies Memo);
  if (!isDeepStrictEqual((JSON.parse(json) as Memo).data, data)) return;
  try {
    writeFileAtomicSync(file, json, { durable: false });
  } catch {
    // the next command parses the file again
  }
}
