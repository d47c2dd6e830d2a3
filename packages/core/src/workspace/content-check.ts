import { parseAllDocuments } from 'yaml';
import type { SkippedFile } from '../models/results.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Why a file must not be committed as it is, or null when it is fine. A JSON or YAML file
 * that does not parse is most likely half-written by a running simulation (`being_written`);
 * committing it would spread the broken file to every machine.
 */
export function findContentProblem(relativePath: string, content: Uint8Array): Omit<SkippedFile, 'path'> | null {
  const lower = relativePath.toLowerCase();
  const isJson = lower.endsWith('.json');
  const isYaml = lower.endsWith('.yaml') || lower.endsWith('.yml');
  if (!isJson && !isYaml) return null;
  let text: string;
  try {
    text = utf8.decode(content);
  } catch {
    return { reason: 'not UTF-8 text (a binary file with a .json/.yaml name?)' };
  }
  if (isJson) {
    try {
      JSON.parse(text);
      return null;
    } catch (error) {
      return { reason: `not valid JSON (${(error as Error).message}): probably still being written`, being_written: true };
    }
  }
  const documents = parseAllDocuments(text);
  const list = Array.isArray(documents) ? documents : [documents];
  for (const document of list) {
    if (document.errors.length > 0) {
      return { reason: `not valid YAML (${document.errors[0].message.split('\n')[0]}): probably still being written`, being_written: true };
    }
  }
  return null;
}
