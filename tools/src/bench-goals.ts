/**
 * The speed and memory goals `npm run bench` checks its figures against: each goal beside the
 * figure measured, marked met or missed. A goal whose root was not measured is left out.
 */

/** What the benchmark measured, as the goals read it. */
export interface BenchFigures {
  /** median seconds of `planalign --version` and `--help`, and of `node -e 0` for reference */
  startup: { version: number; help: number; node: number } | null;
  /** per root and operation: planalign-sync's median seconds and peak MB, and native git's seconds */
  operations: { root: string; operation: string; seconds: number; peakMb: number; gitSeconds: number }[];
  /** per root: the median of the API's `GET /api/sync/status` with nothing changed (asking the remote) */
  apiStatus: { root: string; seconds: number }[];
}

export interface GoalCheck {
  goal: string;
  figure: string;
  met: boolean;
}

const s = (seconds: number) => `${seconds.toFixed(3)} s`;

export function checkGoals(figures: BenchFigures): GoalCheck[] {
  const checks: GoalCheck[] = [];
  const atMost = (goal: string, value: number, limit: number, shown: (value: number) => string) =>
    checks.push({ goal, figure: shown(value), met: value <= limit });
  if (figures.startup) {
    atMost('planalign --version in at most 0.07 s', figures.startup.version, 0.07, s);
    atMost('planalign --help in at most 0.07 s', figures.startup.help, 0.07, s);
  }
  const operation = (root: string, name: string) => figures.operations.find((o) => o.root === root && o.operation === name);
  const typical: [string, number][] = [
    ['status (no change)', 0.1],
    ['incremental push', 0.2],
    ['pull', 0.2],
  ];
  for (const [name, limit] of typical) {
    const row = operation('typical', name);
    if (row) atMost(`typical ${name} in at most ${limit} s`, row.seconds, limit, s);
  }
  const largeApi = figures.apiStatus.find((a) => a.root === 'large');
  if (largeApi) atMost('large GET /api/sync/status, nothing changed, in at most 0.05 s', largeApi.seconds, 0.05, s);
  for (const row of figures.operations.filter((o) => o.root === 'large')) {
    atMost(`large ${row.operation} at most 1.5x native git`, row.seconds / row.gitSeconds, 1.5, (ratio) => `${ratio.toFixed(2)}x`);
  }
  for (const [root, limit] of [
    ['large', 120],
    ['huge', 400],
  ] as const) {
    const rows = figures.operations.filter((o) => o.root === root && !Number.isNaN(o.peakMb));
    if (rows.length === 0) continue;
    const peak = Math.max(...rows.map((o) => o.peakMb));
    atMost(`${root} peak memory of every operation at most ${limit} MB`, peak, limit, (mb) => `${mb.toFixed(0)} MB`);
  }
  return checks;
}

/** The goals as lines: `met` or `MISSED`, the goal, and the figure. */
export function goalLines(checks: GoalCheck[]): string {
  const width = Math.max(0, ...checks.map((c) => c.goal.length));
  return checks.map((c) => `${c.met ? 'met   ' : 'MISSED'}  ${c.goal.padEnd(width)}  ${c.figure}`).join('\n');
}
