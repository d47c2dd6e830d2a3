import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { RegenJob } from '../models/regen.js';
import { stateDir } from '../state/state-dir.js';
import { withFileLock } from '../state/lock.js';

/**
 * The regeneration queue, kept on this machine inside `.git/` (never pushed): one JSON file
 * rewritten atomically under a short lock, so the CLI and the API server can both add jobs
 * while one runner works through them, and a crash at any moment leaves a readable queue.
 */
export class JobStore {
  readonly dir: string;

  constructor(gitdir: string) {
    this.dir = path.join(stateDir(gitdir), 'regen');
  }

  private get file() {
    return path.join(this.dir, 'jobs.json');
  }

  logPath(id: string): string {
    return path.join(this.dir, 'logs', `${id}.log`);
  }

  get runnerLockPath(): string {
    return path.join(this.dir, 'runner.lock');
  }

  async list(): Promise<RegenJob[]> {
    try {
      const raw = JSON.parse(await fsp.readFile(this.file, 'utf8')) as unknown[];
      return raw.flatMap((item) => {
        const parsed = RegenJob.safeParse(item);
        return parsed.success ? [parsed.data] : [];
      });
    } catch {
      return [];
    }
  }

  /** Reads, changes and writes the queue as one step; returns what `change` returns. */
  async update<T>(change: (jobs: RegenJob[]) => T): Promise<T> {
    await fsp.mkdir(path.join(this.dir, 'logs'), { recursive: true });
    return withFileLock(
      path.join(this.dir, 'jobs.lock'),
      'regen-queue',
      async () => {
        const jobs = await this.list();
        const result = change(jobs);
        await writeFileAtomic(this.file, JSON.stringify(jobs, null, 1));
        return result;
      },
      10_000,
      (holder) => `The regeneration queue is busy${holder}; try again.`,
    );
  }
}
