import * as z from 'zod';
import { lazySchema } from './lazy-schema.js';

/**
 * PlanAlign's own files, read tolerantly: only the fields sync needs are required,
 * the rest pass through untouched.
 */
export const WorkspaceFile = lazySchema(() =>
  z.looseObject({
    id: z.string(),
    name: z.string(),
    description: z.string().nullish(),
    created_at: z.string().nullish(),
    updated_at: z.string().nullish(),
  }),
);
export type WorkspaceFile = z.infer<typeof WorkspaceFile>;

export const SCENARIO_STATUSES = ['not_run', 'queued', 'running', 'completed', 'failed', 'cancelled'] as const;

export const ScenarioFile = lazySchema(() =>
  z.looseObject({
    id: z.string(),
    workspace_id: z.string().nullish(),
    name: z.string(),
    status: z.string().nullish(),
    last_run_at: z.string().nullish(),
    last_run_id: z.string().nullish(),
  }),
);
export type ScenarioFile = z.infer<typeof ScenarioFile>;

export const RunMetadataFile = lazySchema(() =>
  z.looseObject({
    run_id: z.string(),
    scenario_id: z.string().nullish(),
    scenario_name: z.string().nullish(),
    workspace_id: z.string().nullish(),
    started_at: z.string().nullish(),
    completed_at: z.string().nullish(),
    start_year: z.number().nullish(),
    end_year: z.number().nullish(),
    status: z.string().nullish(),
  }),
);
export type RunMetadataFile = z.infer<typeof RunMetadataFile>;
