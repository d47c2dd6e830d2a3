import { RegenRunner, RegenService, redactUrl } from '@planalign/sync-core';
import type { OperationRunner } from './operations.js';

/** How often the server looks for queued jobs no runner works through. */
const QUEUE_CHECK_MS = 5_000;

/**
 * The server's regeneration runner: it works through the root's queue (jobs added here or by
 * `planalign sync regenerate --detach`) and reports each job's progress as server-sent events.
 * Only one runner per root: while the CLI runs one, this one waits its turn.
 */
export class RegenSupervisor {
  readonly service: RegenService;
  private readonly runner: RegenRunner;
  private retry: NodeJS.Timeout | null = null;
  private watch: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(operations: OperationRunner) {
    this.service = new RegenService(operations.root);
    this.runner = new RegenRunner(operations.root, {
      onEvent: (event) => {
        if (event.type === 'job') operations.emit({ type: 'regen', job: event.job });
      },
    });
  }

  /** Starts working through the queue, or tries again shortly while another process has it. */
  async ensureRunning(): Promise<void> {
    if (this.stopped || this.runner.active) return;
    try {
      if (await this.runner.start()) return;
    } catch (error) {
      process.stderr.write(`planalign-sync regenerate: ${redactUrl(error instanceof Error ? error.message : String(error))}\n`);
    }
    this.retry ??= setTimeout(() => {
      this.retry = null;
      void this.ensureRunning();
    }, 5_000);
  }

  /**
   * After a restart: jobs left queued or interrupted are taken up again. And from then on, now
   * and then: jobs queued by `sync regenerate --detach`, or left by a runner that was killed,
   * are worked through here.
   */
  async resume(): Promise<void> {
    await this.takeUpQueue();
    this.watch ??= setInterval(() => void this.takeUpQueue(), QUEUE_CHECK_MS);
    this.watch.unref();
  }

  private async takeUpQueue(): Promise<void> {
    if (this.stopped || this.runner.active) return;
    const jobs = await this.service.store.list().catch(() => []);
    if (jobs.some((job) => job.status === 'queued' || job.status === 'running')) await this.ensureRunning();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.watch) clearInterval(this.watch);
    await this.runner.stop();
  }
}
