import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, promises as fsp, type WriteStream } from 'node:fs';
import path from 'node:path';
import { readSettings } from '../config/settings-file.js';
import { RegenerateSettings, type RegenJob } from '../models/regen.js';
import { tryLock } from '../state/lock.js';
import { fillCommand } from './command-template.js';
import { findPlanalignProgram, namesPlanalign, PlanalignNotFoundError } from './planalign-program.js';
import { DATABASE_FILE } from '../workspace/paths.js';
import { JobStore } from './job-store.js';

export type RegenEvent = { type: 'job'; job: RegenJob } | { type: 'idle' };

const TICK_MS = 300;
/** How often a running job's progress is written to the queue file. */
const PROGRESS_WRITE_MS = 250;

interface Running {
  child: ChildProcess | null;
  log: WriteStream;
  cancelled: boolean;
  done: Promise<void>;
}

const runDirOf = (root: string, job: Pick<RegenJob, 'workspace_id' | 'scenario_id' | 'run_id'>) =>
  path.join(root, job.workspace_id, 'scenarios', job.scenario_id, 'runs', job.run_id);
export const tempDatabaseOf = (root: string, job: RegenJob) => path.join(runDirOf(root, job), `${DATABASE_FILE}.${job.id}.tmp`);

/**
 * Works through the regeneration queue of one root: at most `regenerate.concurrency` jobs at a
 * time, each the configured command run as a child process with the run's synced config. Its
 * output goes to the job's log and feeds its progress. The database is written to a temporary
 * path and moved into place only when the command succeeds. One runner per root (a lock in
 * `.git/`); a runner that died leaves jobs marked running, which the next one retries or fails.
 */
export class RegenRunner {
  readonly store: JobStore;
  private release: (() => Promise<void>) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly running = new Map<string, Running>();
  private ticking: Promise<void> = Promise.resolve();
  private idleWaiters: (() => void)[] = [];
  private stopping = false;

  constructor(
    readonly root: string,
    private readonly options: { onEvent?: (event: RegenEvent) => void } = {},
  ) {
    this.store = new JobStore(path.join(root, '.git'));
  }

  get active(): boolean {
    return this.release !== null;
  }

  /** Takes the root's runner lock; false when another process is already running the queue. */
  async start(): Promise<boolean> {
    if (this.release) return true;
    this.release = await tryLock(this.store.runnerLockPath, 'regenerate');
    if (!this.release) return false;
    const settings = await this.settings();
    await this.store.update((jobs) => {
      for (const job of jobs.filter((j) => j.status === 'running')) {
        const retry = job.attempts < settings.max_attempts && !job.cancel_requested;
        Object.assign(job, {
          status: retry ? 'queued' : job.cancel_requested ? 'cancelled' : 'failed',
          message: retry ? 'Interrupted (the runner stopped); it runs again.' : 'Interrupted (the runner stopped) too often; retry it when ready.',
          pid: null,
          finished_at: retry ? null : new Date().toISOString(),
        });
        void fsp.rm(tempDatabaseOf(this.root, job), { force: true });
      }
    });
    this.stopping = false;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.tick();
    return true;
  }

  /** Resolves once nothing is queued or running. */
  untilIdle(): Promise<void> {
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops the commands under way (their jobs go back to the queue) and releases the lock. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    for (const running of this.running.values()) running.child?.kill('SIGTERM');
    await Promise.all([...this.running.values()].map((r) => r.done));
    await this.release?.();
    this.release = null;
  }

  private async settings(): Promise<RegenerateSettings> {
    return (await readSettings(this.root).catch(() => null))?.regenerate ?? RegenerateSettings.parse({});
  }

  private tick(): void {
    this.ticking = this.ticking
      .then(() => this.schedule())
      .catch((error: unknown) => {
        process.stderr.write(`planalign-sync regenerate: ${error instanceof Error ? error.message : String(error)}\n`);
      });
  }

  private async schedule(): Promise<void> {
    if (this.stopping) return;
    const settings = await this.settings();
    const jobs = await this.store.list();
    for (const job of jobs) {
      const running = this.running.get(job.id);
      if (running && job.cancel_requested && !running.cancelled) {
        running.cancelled = true;
        running.child?.kill('SIGTERM');
      }
    }
    const free = settings.concurrency - this.running.size;
    const next = jobs.filter((j) => j.status === 'queued' && !this.running.has(j.id)).slice(0, Math.max(0, free));
    for (const job of next) this.launch(job, settings);
    if (this.running.size === 0 && next.length === 0 && !jobs.some((j) => j.status === 'queued')) {
      const waiters = this.idleWaiters.splice(0);
      if (waiters.length > 0) this.options.onEvent?.({ type: 'idle' });
      for (const resolve of waiters) resolve();
    }
  }

  private async change(id: string, patch: Partial<RegenJob>): Promise<RegenJob | null> {
    const job = await this.store.update((jobs) => {
      const found = jobs.find((j) => j.id === id);
      if (found) Object.assign(found, patch);
      return found ? { ...found } : null;
    });
    if (job) this.options.onEvent?.({ type: 'job', job });
    return job;
  }

  private launch(queued: RegenJob, settings: RegenerateSettings): void {
    const runDir = runDirOf(this.root, queued);
    const temp = tempDatabaseOf(this.root, queued);
    const log = createWriteStream(this.store.logPath(queued.id), { flags: 'a' });
    let resolveDone!: () => void;
    const running: Running = { child: null, log, cancelled: false, done: new Promise((resolve) => (resolveDone = resolve)) };
    this.running.set(queued.id, running);
    const started = Date.now();
    let finished = false;
    // A command that cannot start reports an error and may close too: settled once.
    const finish = async (patch: Partial<RegenJob>) => {
      if (finished) return;
      finished = true;
      log.end(`\n# ${patch.status}: ${patch.message ?? ''}\n`);
      await this.change(queued.id, {
        ...patch,
        pid: null,
        finished_at: patch.status === 'queued' ? null : new Date().toISOString(),
        duration_seconds: (Date.now() - started) / 1000,
      });
      this.running.delete(queued.id);
      resolveDone();
      this.tick();
    };
    void (async () => {
      let command: { program: string; args: string[] };
      let years: { start: number; end: number } | null = null;
      try {
        const metadata = JSON.parse(await fsp.readFile(path.join(runDir, 'run_metadata.json'), 'utf8')) as { start_year?: number; end_year?: number };
        if (Number.isInteger(metadata.start_year) && Number.isInteger(metadata.end_year)) years = { start: metadata.start_year!, end: metadata.end_year! };
        const scenarioDir = path.dirname(path.dirname(runDir));
        command = fillCommand(settings.command, {
          workspace_id: queued.workspace_id,
          scenario_id: queued.scenario_id,
          run_id: queued.run_id,
          start_year: String(years?.start ?? ''),
          end_year: String(years?.end ?? ''),
          config: path.join(runDir, 'config.yaml'),
          database: temp,
          run_dir: runDir,
          scenario_dir: scenarioDir,
          workspace_dir: path.join(this.root, queued.workspace_id),
          root: this.root,
        });
      } catch (error) {
        await finish({ status: 'failed', message: `Could not prepare the run: ${error instanceof Error ? error.message : String(error)}`, exit_code: null });
        return;
      }
      if (namesPlanalign(command.program)) {
        // PlanAlign's program, never this project's own `planalign` that may come first on the PATH.
        try {
          command = { ...command, program: findPlanalignProgram() };
        } catch (error) {
          if (!(error instanceof PlanalignNotFoundError)) throw error;
          await finish({
            status: 'failed',
            exit_code: null,
            failure: 'planalign_not_installed',
            message: `${error.message} So results cannot be rebuilt here; or set regenerate.command in .planalign-sync.yaml.`,
          });
          return;
        }
      }
      const pattern = new RegExp(settings.progress_pattern);
      log.write(`# ${new Date().toISOString()} ${[command.program, ...command.args].join(' ')}\n`);
      await fsp.rm(temp, { force: true });
      const child = spawn(command.program, command.args, { cwd: runDir, stdio: ['ignore', 'pipe', 'pipe'] });
      running.child = child;
      // Listeners go on before anything is awaited: a program that cannot start reports it at
      // once, and an 'error' event with no listener would take the whole server down.
      child.once('error', (error) => {
        void finish({ status: 'failed', exit_code: null, message: startFailure(command.program, error as NodeJS.ErrnoException) });
      });
      let lastWrite = 0;
      let progress = 0;
      const lastLines = { stdout: '', stderr: '' };
      const partial = { stdout: '', stderr: '' };
      const onOutput = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
        log.write(chunk);
        partial[stream] += chunk.toString('utf8');
        const lines = partial[stream].split(/\r?\n|\r/);
        partial[stream] = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim()) lastLines[stream] = line.trim();
          const year = Number(pattern.exec(line)?.[1]);
          if (!years || !Number.isFinite(year)) continue;
          progress = Math.max(progress, Math.min(1, (year - years.start + 1) / (years.end - years.start + 1)));
          if (Date.now() - lastWrite > PROGRESS_WRITE_MS) {
            lastWrite = Date.now();
            void this.change(queued.id, { progress, message: line.trim().slice(0, 200) });
          }
        }
      };
      child.stdout!.on('data', onOutput('stdout'));
      child.stderr!.on('data', onOutput('stderr'));
      /** What the command last said about its failure: its error output first, else its output. */
      const lastSaid = () => (partial.stderr.trim() || lastLines.stderr || partial.stdout.trim() || lastLines.stdout).slice(0, 300);
      // Marked running without waiting: a command that ends at once closes while this is written,
      // and its end must be seen (the close handler waits for this write, so the order holds).
      const markedRunning =
        child.pid === undefined
          ? Promise.resolve()
          : this.change(queued.id, {
              status: 'running',
              attempts: queued.attempts + 1,
              started_at: new Date(started).toISOString(),
              pid: child.pid,
              progress: 0,
              message: 'Starting',
              exit_code: null,
            }).then(() => undefined);
      child.once('close', async (code, signal) => {
        await markedRunning;
        if (finished) return;
        if (running.cancelled || this.stopping) {
          await fsp.rm(temp, { force: true });
          await fsp.rm(`${temp}.wal`, { force: true });
          await finish(
            running.cancelled
              ? { status: 'cancelled', message: 'Cancelled.', exit_code: code }
              : { status: 'queued', message: 'Stopped with the runner; it runs again.', exit_code: code },
          );
          return;
        }
        if (code === 0 && existsSync(temp)) {
          // Only a finished database replaces (or becomes) the one people open.
          if (existsSync(`${temp}.wal`)) await fsp.rename(`${temp}.wal`, path.join(runDir, `${DATABASE_FILE}.wal`));
          await fsp.rename(temp, path.join(runDir, DATABASE_FILE));
          await finish({ status: 'succeeded', progress: 1, message: 'Results rebuilt.', exit_code: 0 });
          return;
        }
        await fsp.rm(temp, { force: true });
        await fsp.rm(`${temp}.wal`, { force: true });
        await finish({
          status: 'failed',
          exit_code: code,
          message:
            code === 0
              ? 'The command finished without writing a database.'
              : `The command failed (exit ${code ?? signal})${lastSaid() ? `: ${lastSaid()}` : "; see the job's log"}.`,
        });
      });
    })();
  }
}

/** Why a command did not start, in words for the person waiting for their results. */
function startFailure(program: string, error: NodeJS.ErrnoException): string {
  if (error.code !== 'ENOENT') return `Could not start "${program}": ${error.message}.`;
  return `Could not start "${program}": it is not installed on this computer or not on the PATH. Set regenerate.command in .planalign-sync.yaml.`;
}
