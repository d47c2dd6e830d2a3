import { randomUUID } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { SyncConfigError, SyncNotInitializedError } from '../errors.js';
import type { MissingResult, RegenJob, RegenOverview } from '../models/regen.js';
import { inspectLock } from '../state/lock.js';
import { findWorkspace, NameBook } from '../workspace/names.js';
import { JobStore } from './job-store.js';
import { findMissingResults } from './missing-results.js';
import { RegenRunner } from './runner.js';

const ACTIVE = new Set<RegenJob['status']>(['queued', 'running']);

/** Finds a scenario of a workspace by id or name, or says which there are. */
async function findScenario(root: string, workspaceId: string, idOrName: string): Promise<string> {
  const names = new NameBook(root);
  const ids = await fsp.readdir(path.join(root, workspaceId, 'scenarios')).catch(() => [] as string[]);
  if (ids.includes(idOrName)) return idOrName;
  const matches: string[] = [];
  for (const id of ids) if ((await names.scenarioName(workspaceId, id)) === idOrName) matches.push(id);
  if (matches.length === 1) return matches[0];
  const known = await Promise.all(ids.map(async (id) => `"${await names.scenarioName(workspaceId, id)}"`));
  throw new SyncConfigError(
    matches.length > 1
      ? `Several scenarios are named "${idOrName}": use the id of the one you mean: ${matches.join(', ')}.`
      : `No scenario "${idOrName}" in that workspace. Its scenarios: ${known.join(', ') || 'none'}.`,
  );
}

function label(missing: MissingResult): string {
  const years = missing.start_year && missing.end_year ? `, ${missing.start_year}-${missing.end_year}` : '';
  return `"${missing.scenario_name}" in "${missing.workspace_name}"${years}${missing.current ? '' : ` (run ${missing.run_id.slice(0, 8)})`}`;
}

/** What working through the queue here did. */
export interface RegenRun {
  /** the jobs this request queued */
  added: RegenJob[];
  /** the jobs that ended while it ran: those it queued, and any an earlier run left queued */
  finished: RegenJob[];
  failed: RegenJob[];
  /** false when another process works through the queue (the jobs wait for it) */
  ranHere: boolean;
  overview: RegenOverview;
}

/**
 * Regeneration of the outputs sync leaves behind: what is missing on this machine, and the
 * queue of jobs that rebuild it (run by a RegenRunner, in the CLI or the API server).
 */
export class RegenService {
  readonly store: JobStore;

  constructor(readonly root: string) {
    this.store = new JobStore(path.join(root, '.git'));
  }

  private async assertInitialized(): Promise<void> {
    if (!existsSync(path.join(this.root, '.git'))) {
      throw new SyncNotInitializedError(`Sync is not set up for ${this.root}: results are rebuilt for workspaces that came through sync.`, {
        next: { action: 'set_up_sync' },
      });
    }
  }

  async overview(): Promise<RegenOverview> {
    await this.assertInitialized();
    const [missing, jobs, lock] = await Promise.all([findMissingResults(this.root), this.store.list(), inspectLock(this.store.runnerLockPath)]);
    // a runner killed mid-way leaves its lock: it works through nothing, and the next runner takes the queue over
    return { missing, jobs: jobs.slice().reverse(), runner_active: lock !== null && !lock.stale };
  }

  /**
   * Queues what is asked, then works through the queue here until it is empty, or until `stop`
   * settles (commands under way are stopped and their jobs stay queued for the next runner).
   */
  async rebuild(
    request: { workspace?: string; scenario?: string; allMissing?: boolean },
    options: { stop?: Promise<unknown>; onJob?: (job: RegenJob) => void } = {},
  ): Promise<RegenRun> {
    const added = await this.enqueue(request);
    const finished = new Map<string, RegenJob>();
    const runner = new RegenRunner(this.root, {
      onEvent: (event) => {
        if (event.type !== 'job') return;
        if (!ACTIVE.has(event.job.status)) finished.set(event.job.id, event.job);
        options.onJob?.(event.job);
      },
    });
    if (!(await runner.start())) return { added, finished: [], failed: [], ranHere: false, overview: await this.overview() };
    await Promise.race([runner.untilIdle(), ...(options.stop ? [options.stop] : [])]);
    await runner.stop();
    const overview = await this.overview();
    const ended = overview.jobs.filter((job) => finished.has(job.id));
    return { added, finished: ended, failed: ended.filter((job) => job.status === 'failed'), ranHere: true, overview };
  }

  /**
   * Queues the missing runs of a scenario, of a workspace, or (`allMissing`) of the whole root.
   * A run already queued or running is not queued twice. Returns the jobs added.
   */
  async enqueue(options: { workspace?: string; scenario?: string; allMissing?: boolean }): Promise<RegenJob[]> {
    await this.assertInitialized();
    if (!options.workspace && !options.allMissing) {
      throw new SyncConfigError('Say what to rebuild: a workspace (and optionally a scenario), or every run whose results are not here.');
    }
    const workspaceId = options.workspace ? (await findWorkspace(this.root, options.workspace)).id : undefined;
    const scenarioId = workspaceId && options.scenario ? await findScenario(this.root, workspaceId, options.scenario) : undefined;
    const missing = await findMissingResults(this.root, { workspaceId, scenarioId });
    const now = new Date().toISOString();
    return this.store.update((jobs) => {
      const pending = new Set(jobs.filter((j) => ACTIVE.has(j.status)).map((j) => j.run_id));
      const added: RegenJob[] = [];
      for (const run of missing) {
        if (pending.has(run.run_id)) continue;
        const job: RegenJob = {
          id: randomUUID().slice(0, 8),
          workspace_id: run.workspace_id,
          scenario_id: run.scenario_id,
          run_id: run.run_id,
          label: label(run),
          scenario_name: run.scenario_name,
          workspace_name: run.workspace_name,
          start_year: run.start_year,
          end_year: run.end_year,
          run_completed_at: run.completed_at,
          current_run: run.current,
          status: 'queued',
          progress: 0,
          message: null,
          attempts: 0,
          created_at: now,
          started_at: null,
          finished_at: null,
          exit_code: null,
          duration_seconds: null,
          pid: null,
          cancel_requested: false,
        };
        jobs.push(job);
        added.push(job);
      }
      return added;
    });
  }

  /** Cancels a queued job at once, a running one through its runner (which stops the command). */
  async cancel(id: string): Promise<RegenJob> {
    return this.store.update((jobs) => {
      const job = this.find(jobs, id);
      if (!ACTIVE.has(job.status)) throw new SyncConfigError(`Job ${id} is ${job.status}; only queued or running jobs can be cancelled.`);
      if (job.status === 'queued') Object.assign(job, { status: 'cancelled', message: 'Cancelled.', finished_at: new Date().toISOString() });
      else job.cancel_requested = true;
      return { ...job };
    });
  }

  /** Queues a failed or cancelled job again. */
  async retry(id: string): Promise<RegenJob> {
    return this.store.update((jobs) => {
      const job = this.find(jobs, id);
      if (ACTIVE.has(job.status) || job.status === 'succeeded')
        throw new SyncConfigError(`Job ${id} is ${job.status}; only failed or cancelled jobs can be retried.`);
      Object.assign(job, {
        status: 'queued',
        progress: 0,
        message: 'Queued again.',
        attempts: 0,
        started_at: null,
        finished_at: null,
        exit_code: null,
        duration_seconds: null,
        cancel_requested: false,
      });
      return { ...job };
    });
  }

  /** Removes finished jobs (rebuilt, failed or cancelled) and their logs; queued and running ones stay. */
  async clearFinished(): Promise<{ removed: number }> {
    const removed = await this.store.update((jobs) => {
      const finished = jobs.filter((job) => !ACTIVE.has(job.status));
      jobs.splice(0, jobs.length, ...jobs.filter((job) => ACTIVE.has(job.status)));
      return finished.map((job) => job.id);
    });
    await Promise.all(removed.map((id) => fsp.rm(this.store.logPath(id), { force: true })));
    return { removed: removed.length };
  }

  async log(id: string): Promise<string> {
    this.find(await this.store.list(), id);
    return fsp.readFile(this.store.logPath(id), 'utf8').catch(() => '');
  }

  private find(jobs: RegenJob[], id: string): RegenJob {
    const job = jobs.find((j) => j.id === id);
    if (!job) throw new SyncConfigError(`There is no regeneration job "${id}".`, { next: { action: 'list_jobs' } });
    return job;
  }
}
