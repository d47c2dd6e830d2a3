import type { SyncProgress } from '@planalign/sync-core';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A one-line progress indicator on stderr, shown only on a terminal so that pipes, CI logs
 * and --json output stay clean.
 */
export class TerminalProgress {
  private frame = 0;
  private shown = false;
  private lastDraw = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return Boolean(this.stream.isTTY);
  }

  update(progress: SyncProgress): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 80) return;
    this.lastDraw = now;
    this.frame = (this.frame + 1) % FRAMES.length;
    const counter = progress.total ? ` ${progress.loaded ?? 0}/${progress.total}` : progress.loaded ? ` ${progress.loaded}` : '';
    const text = `${FRAMES[this.frame]} ${progress.message}${counter}`;
    // A pseudo-terminal may report 0 columns.
    const width = this.stream.columns || 80;
    this.stream.write(`\r\x1b[2K${text.slice(0, width - 1)}`);
    this.shown = true;
  }

  /** A bar for a long job: `▶ "Baseline" in "Q4" [██████░░░░] 60 %`. */
  bar(label: string, fraction: number): void {
    if (!this.enabled) return;
    const width = 20;
    const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
    const text = `▶ ${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${Math.round(fraction * 100)} %`;
    this.stream.write(`\r\x1b[2K${text.slice(0, (this.stream.columns || 80) - 1)}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}
