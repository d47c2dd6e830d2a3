import type { TransferProgress } from '../git/repository.js';
import type { SyncPhase, SyncProgress } from '../models/operations.js';

/** Tells the caller (a progress bar, the API's event stream) which step an operation is on. */
export class ProgressReporter {
  constructor(private readonly onProgress?: (progress: SyncProgress) => void) {}

  step(phase: SyncPhase, message: string, extra: Partial<SyncProgress> = {}): void {
    this.onProgress?.({ phase, message, ...extra });
  }

  /** A callback for the Git layer's transfer counts, reported under `phase`. */
  transfer(phase: SyncPhase): (progress: TransferProgress) => void {
    return (p) => this.step(phase, p.phase, { loaded: p.loaded, total: p.total });
  }
}
