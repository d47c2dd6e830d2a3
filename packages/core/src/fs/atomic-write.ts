import { closeSync, fsyncSync, openSync, promises as fsp, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

let tempCounter = 0;

/** A temp-file name unique within this machine: no two processes share a pid. */
export function tempSuffix(): string {
  tempCounter += 1;
  return `${process.pid}-${tempCounter}.tmp`;
}

/**
 * Write a file so that readers see either the old or the new bytes, never half of them:
 * temp file in the same folder, then rename over the target. `durable` adds an fsync
 * before the rename, for the few files (refs, index, settings) that must also survive a
 * power cut; working-tree files only need to survive a killed process.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array, options: { mode?: number; durable?: boolean } = {}): Promise<void> {
  const temp = tempBeside(target);
  const handle = await fsp.open(temp, 'w', options.mode ?? 0o666);
  try {
    await handle.writeFile(data);
    if (options.durable !== false) await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fsp.rename(temp, target);
  } catch (error) {
    await fsp.rm(temp, { force: true });
    throw error;
  }
}

/** writeFileAtomic with synchronous calls, for small files written on a hot path (refs). */
export function writeFileAtomicSync(target: string, data: string | Uint8Array, options: { mode?: number; durable?: boolean } = {}): void {
  const temp = tempBeside(target);
  try {
    const fd = openSync(temp, 'w', options.mode ?? 0o666);
    try {
      writeFileSync(fd, data);
      if (options.durable !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** The temporary file a write goes through: beside the target (one file system, so the rename is atomic), hidden. */
const tempBeside = (target: string) => path.join(path.dirname(target), `.${path.basename(target)}.${tempSuffix()}`);
