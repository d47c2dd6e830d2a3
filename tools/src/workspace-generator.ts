import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

/**
 * Writes realistic PlanAlign workspace roots (the format in DESIGN.md) for tests, the demo and
 * benchmarks. Deterministic from a seed. Databases are sparse files: full size in `stat`, no
 * disk blocks and no time to write, which is what proves sync never reads them. Its command
 * line is `src/bin/workspace-generator.ts`.
 */
export interface GenerateOptions {
  root: string;
  workspaces: number;
  scenarios: number;
  runs: number;
  /** size of each simulation.duckdb; default 50 MiB (sparse) */
  databaseBytes?: number;
  seed?: number;
}

export interface GeneratedRoot {
  root: string;
  workspaces: number;
  scenarios: number;
  runs: number;
  syncableFiles: number;
  ignoredFiles: number;
  workspaceIds: string[];
}

export const PRESETS = {
  demo: { workspaces: 2, scenarios: 5, runs: 9 },
  typical: { workspaces: 3, scenarios: 12, runs: 45 },
  large: { workspaces: 50, scenarios: 1000, runs: 10000 },
  huge: { workspaces: 100, scenarios: 5000, runs: 100000 },
} satisfies Record<string, Omit<GenerateOptions, 'root'>>;

const WORKSPACE_NAMES = [
  'Q4 Projections',
  'Baseline 2026',
  'Board Review',
  'Union Negotiation',
  'Merger Planning',
  'Retirement Wave',
  'Regional Expansion',
  'Cost Containment',
];
const SCENARIO_NAMES = [
  'Baseline',
  'Aggressive Hiring',
  'Hiring Freeze',
  'High Attrition',
  'Merit 3%',
  'Merit 5%',
  'Early Retirement',
  'New Plant',
  'Remote First',
  'Flat Growth',
];

/** mulberry32: small, fast, good enough to make varied but repeatable trees. */
export class SeededRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  uuid(): string {
    const bytes = Buffer.alloc(16);
    for (let i = 0; i < 16; i += 1) bytes[i] = Math.floor(this.next() * 256);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  date(fromYear: number, toYear: number): Date {
    const from = Date.UTC(fromYear, 0, 1);
    const to = Date.UTC(toYear, 11, 31);
    return new Date(from + Math.floor((this.next() * (to - from)) / 1000) * 1000);
  }
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** Splits `total` into `parts` uneven positive shares (each at least `min` where possible). */
function spread(random: SeededRandom, total: number, parts: number, min = 0): number[] {
  const shares = new Array<number>(parts).fill(Math.min(min, Math.floor(total / parts)));
  let left = total - shares.reduce((a, b) => a + b, 0);
  while (left > 0) {
    shares[random.int(0, parts - 1)] += 1;
    left -= 1;
  }
  return shares;
}

function baseConfig(random: SeededRandom, startYear: number): string {
  return [
    '# PlanAlign base configuration',
    'simulation:',
    `  start_year: ${startYear}`,
    `  end_year: ${startYear + 4}`,
    `  random_seed: ${random.int(1, 99999)}`,
    'workforce:',
    `  target_growth_rate: ${(random.int(0, 60) / 1000).toFixed(3)}`,
    `  total_termination_rate: ${(random.int(80, 180) / 1000).toFixed(3)}`,
    `  new_hire_termination_rate: ${(random.int(150, 300) / 1000).toFixed(3)}`,
    'compensation:',
    `  cola_rate: ${(random.int(10, 40) / 1000).toFixed(3)}`,
    `  merit_budget: ${(random.int(20, 50) / 1000).toFixed(3)}`,
    'plan_design:',
    '  auto_enrollment: true',
    `  default_deferral_rate: ${(random.int(3, 6) / 100).toFixed(2)}`,
    '  match:',
    '    - {employee_max: 0.03, match_rate: 1.0}',
    '    - {employee_max: 0.05, match_rate: 0.5}',
    '',
  ].join('\n');
}

interface FileJob {
  file: string;
  content?: string;
  sparseBytes?: number;
  symlinkTo?: string;
}

async function writeJobs(jobs: FileJob[]): Promise<void> {
  const folders = [...new Set(jobs.map((j) => path.dirname(j.file)))];
  for (const folder of folders) await fsp.mkdir(folder, { recursive: true });
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next];
      next += 1;
      if (job.symlinkTo) await fsp.symlink(job.symlinkTo, job.file);
      else if (job.sparseBytes !== undefined) {
        const handle = await fsp.open(job.file, 'w');
        await handle.truncate(job.sparseBytes);
        await handle.close();
      } else await fsp.writeFile(job.file, job.content ?? '');
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
}

function runFiles(
  random: SeededRandom,
  runDir: string,
  run: { runId: string; scenarioId: string; scenarioName: string; workspaceId: string; startYear: number; status: string },
  databaseBytes: number,
  dbtTarget: string,
): { synced: FileJob[]; ignored: FileJob[] } {
  const started = random.date(2024, 2025);
  const duration = random.int(30, 1800);
  const finished = run.status !== 'running';
  const metadata = {
    run_id: run.runId,
    scenario_id: run.scenarioId,
    scenario_name: run.scenarioName,
    workspace_id: run.workspaceId,
    started_at: started.toISOString(),
    completed_at: finished ? new Date(started.getTime() + duration * 1000).toISOString() : null,
    duration_seconds: finished ? duration : null,
    start_year: run.startYear,
    end_year: run.startYear + 4,
    events_generated: random.int(10_000, 2_000_000),
    seed: random.int(1, 99999),
    status: run.status,
    error_message: run.status === 'failed' ? 'dbt model fct_yearly_events failed: division by zero' : null,
  };
  return {
    synced: [
      { file: path.join(runDir, 'run_metadata.json'), content: json(metadata) },
      { file: path.join(runDir, 'config.yaml'), content: baseConfig(random, run.startYear) },
      {
        file: path.join(runDir, 'provenance.json'),
        content: json({ planalign_version: '2.4.1', git_sha: randomHex(random), python: '3.11.7', created_at: started.toISOString() }),
      },
    ],
    ignored: [
      { file: path.join(runDir, 'simulation.duckdb'), sparseBytes: databaseBytes },
      { file: path.join(runDir, 'simulation.log'), content: `[${started.toISOString()}] simulation ${run.startYear}-${run.startYear + 4} ${run.status}\n` },
      { file: path.join(runDir, 'seeds', 'census_seed.csv'), content: 'employee_id,hire_date,salary\nE001,2019-03-01,72000\n' },
      { file: path.join(runDir, 'dbt_project'), symlinkTo: dbtTarget },
    ],
  };
}

function randomHex(random: SeededRandom): string {
  return Array.from({ length: 40 }, () => '0123456789abcdef'[random.int(0, 15)]).join('');
}

export async function generateWorkspaces(options: GenerateOptions): Promise<GeneratedRoot> {
  const random = new SeededRandom(options.seed ?? 20251202);
  const databaseBytes = options.databaseBytes ?? 50 * 1024 * 1024;
  const root = path.resolve(options.root);
  const dbtTarget = path.join(path.dirname(root), '.planalign-dbt');
  await fsp.mkdir(dbtTarget, { recursive: true });
  await fsp.mkdir(root, { recursive: true });
  const scenariosPerWorkspace = spread(random, options.scenarios, options.workspaces, 1);
  const runsPerScenario = spread(random, options.runs, options.scenarios, 0);
  const synced: FileJob[] = [];
  const ignored: FileJob[] = [];
  const workspaceIds: string[] = [];
  let scenarioIndex = 0;
  for (let w = 0; w < options.workspaces; w += 1) {
    const workspaceId = random.uuid();
    workspaceIds.push(workspaceId);
    const wsDir = path.join(root, workspaceId);
    const created = random.date(2023, 2024);
    const name = options.workspaces <= WORKSPACE_NAMES.length ? WORKSPACE_NAMES[w] : `${random.pick(WORKSPACE_NAMES)} ${w + 1}`;
    const startYear = random.int(2025, 2027);
    synced.push(
      {
        file: path.join(wsDir, 'workspace.json'),
        content: json({
          id: workspaceId,
          name,
          description: `${name} workforce simulations`,
          created_at: created.toISOString(),
          updated_at: random.date(2025, 2025).toISOString(),
        }),
      },
      { file: path.join(wsDir, 'base_config.yaml'), content: baseConfig(random, startYear) },
    );
    await fsp.mkdir(path.join(wsDir, 'comparisons'), { recursive: true });
    ignored.push(
      { file: path.join(wsDir, 'data', 'census.parquet'), sparseBytes: 20 * 1024 * 1024 },
      { file: path.join(wsDir, 'imports', 'census_2025.xlsx'), sparseBytes: 2 * 1024 * 1024 },
    );
    for (let s = 0; s < scenariosPerWorkspace[w]; s += 1) {
      const scenarioId = random.uuid();
      const scenarioName =
        options.scenarios <= SCENARIO_NAMES.length * 2
          ? `${SCENARIO_NAMES[(scenarioIndex + s) % SCENARIO_NAMES.length]}${scenarioIndex + s >= SCENARIO_NAMES.length ? ' II' : ''}`
          : `${random.pick(SCENARIO_NAMES)} ${scenarioIndex + 1}`;
      const scDir = path.join(wsDir, 'scenarios', scenarioId);
      const runCount = runsPerScenario[scenarioIndex];
      scenarioIndex += 1;
      const runIds = Array.from({ length: runCount }, () => random.uuid());
      const lastRunId = runIds.at(-1) ?? null;
      const overrides = { workforce: { target_growth_rate: random.int(0, 80) / 1000 }, compensation: { merit_budget: random.int(20, 60) / 1000 } };
      synced.push(
        {
          file: path.join(scDir, 'scenario.json'),
          content: json({
            id: scenarioId,
            workspace_id: workspaceId,
            name: scenarioName,
            description: `${scenarioName} for ${name}`,
            config_overrides: overrides,
            status: runCount > 0 ? 'completed' : 'not_run',
            created_at: created.toISOString(),
            last_run_at: runCount > 0 ? random.date(2025, 2025).toISOString() : null,
            last_run_id: lastRunId,
            results_summary: runCount > 0 ? { final_headcount: random.int(900, 12000), total_events: random.int(10000, 900000) } : null,
          }),
        },
        {
          file: path.join(scDir, 'overrides.yaml'),
          content: `workforce:\n  target_growth_rate: ${overrides.workforce.target_growth_rate}\ncompensation:\n  merit_budget: ${overrides.compensation.merit_budget}\n`,
        },
        { file: path.join(scDir, 'config.yaml'), content: baseConfig(random, startYear) },
      );
      if (lastRunId)
        synced.push({
          file: path.join(scDir, 'current_result.json'),
          content: json({ schema_version: 1, run_id: lastRunId, published_at: random.date(2025, 2025).toISOString() }),
        });
      if (s % 3 === 0 && runCount > 0) {
        ignored.push(
          { file: path.join(scDir, 'simulation.duckdb'), sparseBytes: databaseBytes },
          { file: path.join(scDir, 'results', 'workforce_summary.xlsx'), sparseBytes: 512 * 1024 },
        );
      }
      for (const runId of runIds) {
        const files = runFiles(
          random,
          path.join(scDir, 'runs', runId),
          { runId, scenarioId, scenarioName, workspaceId, startYear, status: random.next() < 0.9 ? 'completed' : 'failed' },
          databaseBytes,
          dbtTarget,
        );
        synced.push(...files.synced);
        ignored.push(...files.ignored);
      }
    }
  }
  await writeJobs([...synced, ...ignored]);
  return {
    root,
    workspaces: options.workspaces,
    scenarios: options.scenarios,
    runs: options.runs,
    syncableFiles: synced.length,
    ignoredFiles: ignored.length,
    workspaceIds,
  };
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await fsp.writeFile(temp, json(value));
  await fsp.rename(temp, file);
}

/** Adds a run the way PlanAlign does: its files, then run_metadata.json atomically, then the scenario's pointers. */
export async function addRun(
  root: string,
  workspaceId: string,
  scenarioId: string,
  options: { seed?: number; status?: 'completed' | 'failed' | 'running' } = {},
): Promise<{ runId: string; files: string[] }> {
  const random = new SeededRandom(options.seed ?? Date.now() % 2 ** 31);
  const scDir = path.join(root, workspaceId, 'scenarios', scenarioId);
  const scenario = JSON.parse(await fsp.readFile(path.join(scDir, 'scenario.json'), 'utf8')) as Record<string, unknown>;
  const runId = random.uuid();
  const runDir = path.join(scDir, 'runs', runId);
  const status = options.status ?? 'completed';
  const files = runFiles(
    random,
    runDir,
    { runId, scenarioId, scenarioName: String(scenario.name), workspaceId, startYear: 2026, status },
    1024 * 1024,
    path.join(path.dirname(root), '.planalign-dbt'),
  );
  const metadata = files.synced[0];
  await writeJobs([...files.synced.slice(1), ...files.ignored]);
  await writeJsonAtomic(metadata.file, JSON.parse(metadata.content!));
  const now = new Date().toISOString();
  await writeJsonAtomic(path.join(scDir, 'scenario.json'), { ...scenario, status, last_run_at: now, last_run_id: runId });
  if (status !== 'running') await writeJsonAtomic(path.join(scDir, 'current_result.json'), { schema_version: 1, run_id: runId, published_at: now });
  return { runId, files: files.synced.map((f) => path.relative(root, f.file)) };
}

/** Shallow-merges a patch into scenario.json, keeping PlanAlign's 2-space formatting. */
export async function editScenario(root: string, workspaceId: string, scenarioId: string, patch: Record<string, unknown>): Promise<void> {
  const file = path.join(root, workspaceId, 'scenarios', scenarioId, 'scenario.json');
  const scenario = JSON.parse(await fsp.readFile(file, 'utf8')) as Record<string, unknown>;
  await writeJsonAtomic(file, { ...scenario, ...patch });
}

/** Writes a root of one of the PRESETS and prints what it holds and how long it took. */
export async function generatePreset(options: { root: string; preset: keyof typeof PRESETS; seed?: number }): Promise<void> {
  const started = Date.now();
  const result = await generateWorkspaces({ root: options.root, ...PRESETS[options.preset], seed: options.seed });
  process.stdout.write(
    `Generated ${result.workspaces} workspaces, ${result.scenarios} scenarios, ${result.runs} runs in ${result.root} ` +
      `(${result.syncableFiles} synced files, ${result.ignoredFiles} ignored) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}
