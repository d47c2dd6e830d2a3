import { EventEmitter } from 'node:events';
import { SyncBusyError, SyncService, TeamService, redactUrl, type OperationEvent, type OperationName, type SyncProgress } from '@planalign/sync-core';

/**
 * Runs the operations that change a root, one at a time: a second push while one runs is
 * answered 423 rather than queued behind it (the root's lock still serialises it against the
 * CLI and other processes). Progress goes to every listener.
 */
export class OperationRunner {
  private readonly events = new EventEmitter();
  private current: OperationName | null = null;

  constructor(readonly root: string) {
    this.events.setMaxListeners(100);
  }

  get running(): OperationName | null {
    return this.current;
  }

  onEvent(listener: (event: OperationEvent) => void): () => void {
    this.events.on('event', listener);
    return () => this.events.off('event', listener);
  }

  /** Sends an event to every listener (regeneration progress goes out this way too). */
  emit(event: OperationEvent): void {
    this.events.emit('event', event);
  }

  async run<T extends { message: string }>(operation: OperationName, work: (service: SyncService, team: TeamService) => Promise<T>): Promise<T> {
    if (this.current) {
      throw new SyncBusyError(`A ${this.current} is already running on this root; wait for it to finish.`);
    }
    this.current = operation;
    this.emit({ type: 'started', operation });
    try {
      const options = { onProgress: (progress: SyncProgress) => this.emit({ type: 'progress', operation, ...progress }) };
      const result = await work(new SyncService(this.root, options), new TeamService(this.root, options));
      this.emit({ type: 'finished', operation, message: result.message });
      return result;
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'unexpected';
      this.emit({ type: 'failed', operation, code, message: redactUrl(error instanceof Error ? error.message : String(error)) });
      throw error;
    } finally {
      this.current = null;
    }
  }
}
