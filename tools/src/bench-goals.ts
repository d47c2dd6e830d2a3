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
  /** a goal in seconds, on the scale of the machine it was set on (see REFERENCE_NODE_START) */
  scaled?: { figure: string; met: boolean };
}

/**
 * `node -e 0` on the machine the goals in seconds were set on. On a slower machine each figure
 * is also shown divided by how much slower Node itself starts there, and marked on that scale.
 */
export const REFERENCE_NODE_START = 0.05;

const s = (seconds: number) => `${seconds.toFixed(3)} s`;

export function checkGoals(figures: BenchFigures): GoalCheck[] {
  const checks: GoalCheck[] = [];
  const atMost = (goal: string, value: number, limit: number, shown: (value: number) => string) =>
    checks.push({ goal, figure: shown(value), met: value <= limit });
  const scale = figures.startup ? figures.startup.node / REFERENCE_NODE_START : null;
  const secondsAtMost = (goal: string, value: number, limit: number) => {
    atMost(goal, value, limit, s);
    if (scale !== null && scale > 1.1) checks[checks.length - 1].scaled = { figure: s(value / scale), met: value / scale <= limit };
  };
  if (figures.startup) {
    secondsAtMost('planalign --version in at most 0.07 s', figures.startup.version, 0.07);
    secondsAtMost('planalign --help in at most 0.07 s', figures.startup.help, 0.07);
  }
  const operation = (root: string, name: string) => figures.operations.find((o) => o.root === root && o.operation === name);
  const typical: [string, number][] = [
    ['status (no change)', 0.1],
    ['incremental push', 0.2],
    ['pull', 0.2],
  ];
  for (const [name, limit] of typical) {
    const row = operation('typical', name);
    if (row) secondsAtMost(`typical ${name} in at most ${limit} s`, row.seconds, limit);
  }
  const largeApi = figures.apiStatus.find((a) => a.root === 'large');
  if (largeApi) secondsAtMost('large GET /api/sync/status, nothing changed, in at most 0.05 s', largeApi.seconds, 0.05);
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

/**
 * The goals as lines: `met` or `MISSED`, the goal, and the figure; for a goal in seconds on a
 * machine slower than the goals' own, also the figure on that machine's scale and its mark.
 */
export function goalLines(checks: GoalCheck[], nodeStart?: number): string {
  const width = Math.max(0, ...checks.map((c) => c.goal.length));
  const figureWidth = Math.max(0, ...checks.map((c) => c.figure.length));
  const lines = checks.map((c) => {
    const scaled = c.scaled ? `  scaled: ${c.scaled.figure} ${c.scaled.met ? 'met' : 'MISSED'}` : '';
    return `${c.met ? 'met   ' : 'MISSED'}  ${c.goal.padEnd(width)}  ${scaled ? c.figure.padEnd(figureWidth) : c.figure}${scaled}`;
  });
  if (checks.some((c) => c.scaled) && nodeStart !== undefined) {
    lines.push(
      `(scaled: divided by ${(nodeStart / REFERENCE_NODE_START).toFixed(2)}, the time node -e 0 takes here, ${s(nodeStart)}, over ${s(REFERENCE_NODE_START)} where the goals were set)`,
    );
  }
  return lines.join('\n');
}
