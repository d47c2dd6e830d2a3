import * as z from 'zod';
import { lazySchema } from './lazy-schema.js';

/** `regenerate:` in `.planalign-sync.yaml`: how the outputs sync leaves behind are rebuilt. */
export const RegenerateSettings = lazySchema(() =>
  z.strictObject({
    /**
     * Run per missing run, as a program and its arguments (never through a shell). Placeholders:
     * {workspace_id} {scenario_id} {run_id} {start_year} {end_year} {config} {database} {run_dir}
     * {scenario_dir} {workspace_dir} {root}.
     */
    command: z.string().min(1).default('planalign simulate {start_year}-{end_year} --config {config} --database {database} --verbose'),
    /** A regular expression whose first group is the simulation year a line of output reports. */
    progress_pattern: z.string().min(1).default('(?:[Ss]imulating|[Yy]ear)\\D{0,20}(\\d{4})'),
    /** Simulations are heavy: one at a time unless told otherwise. */
    concurrency: z.number().int().min(1).max(16).default(1),
    /** A job interrupted by a crash is run again until it has been tried this often. */
    max_attempts: z.number().int().min(1).max(10).default(2),
  }),
);
export type RegenerateSettings = z.infer<typeof RegenerateSettings>;

/** A run whose metadata says it completed here or elsewhere, but whose database is not on this machine. */
export const MissingResult = lazySchema(() =>
  z.object({
    workspace_id: z.string(),
    workspace_name: z.string(),
    scenario_id: z.string(),
    scenario_name: z.string(),
    run_id: z.string(),
    start_year: z.number().int().nullable(),
    end_year: z.number().int().nullable(),
    completed_at: z.string().nullable(),
    /** the run current_result.json names: the results the scenario shows */
    current: z.boolean(),
  }),
);
export type MissingResult = z.infer<typeof MissingResult>;

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

export const RegenJob = lazySchema(() =>
  z.object({
    id: z.string(),
    workspace_id: z.string(),
    scenario_id: z.string(),
    run_id: z.string(),
    /** e.g. `"Baseline" in "Q4 Projections", 2026-2028` */
    label: z.string(),
    /** the run as people know it: its scenario and workspace by name, its years, when it finished (absent in jobs queued before these were kept) */
    scenario_name: z.string().nullable().default(null),
    workspace_name: z.string().nullable().default(null),
    start_year: z.number().int().nullable().default(null),
    end_year: z.number().int().nullable().default(null),
    /** when the run finished where it ran */
    run_completed_at: z.string().nullable().default(null),
    /** whether it is the run the scenario shows (current_result.json) */
    current_run: z.boolean().nullable().default(null),
    status: z.enum(JOB_STATUSES),
    /** 0 to 1 */
    progress: z.number().min(0).max(1),
    message: z.string().nullable(),
    /** why a failed job failed, when it is something a person can act on without reading the message */
    failure: z.enum(['planalign_not_installed']).nullable().optional(),
    attempts: z.number().int().nonnegative(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    exit_code: z.number().int().nullable(),
    duration_seconds: z.number().nullable(),
    /** the process running it, while it runs */
    pid: z.number().int().nullable(),
    cancel_requested: z.boolean(),
  }),
);
export type RegenJob = z.infer<typeof RegenJob>;

export const RegenOverview = lazySchema(() =>
  z.object({
    missing: z.array(MissingResult),
    jobs: z.array(RegenJob),
    /** whether a runner is working through the queue on this root right now */
    runner_active: z.boolean(),
  }),
);
export type RegenOverview = z.infer<typeof RegenOverview>;
