import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { SyncConfigError, SyncNotFoundError } from '../errors.js';
import { ScenarioFile, WorkspaceFile, RunMetadataFile } from '../models/planalign.js';

/**
 * Display names of workspaces, scenarios and runs, read tolerantly from PlanAlign's JSON
 * (a missing or broken file falls back to the folder's id) and cached for one operation.
 */
function readSmallFile(file: string): Uint8Array | null {
  try {
    return readFileSync(file);
  } catch {
    return null;
  }
}

export class NameBook {
  private readonly cache = new Map<string, Promise<Record<string, unknown> | null>>();

  constructor(
    private readonly root: string,
    /** Reads a file's content from somewhere other than the working tree (e.g. a commit), for deleted things. */
    private readonly fallback?: (relativePath: string) => Promise<Uint8Array | null>,
  ) {}

  private read(relativePath: string): Promise<Record<string, unknown> | null> {
    let pending = this.cache.get(relativePath);
    if (!pending) {
      pending = (async () => {
        // Read synchronously: these files are small, and thousands of awaited reads in a row
        // (one per scenario on a large root) would spend most of their time waiting.
        let content: Uint8Array | null = readSmallFile(path.join(this.root, relativePath));
        if (!content && this.fallback) content = await this.fallback(relativePath).catch(() => null);
        if (!content) return null;
        try {
          const value = JSON.parse(Buffer.from(content).toString('utf8'));
          return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
        } catch {
          return null;
        }
      })();
      this.cache.set(relativePath, pending);
    }
    return pending;
  }

  async workspace(id: string): Promise<WorkspaceFile | null> {
    const parsed = WorkspaceFile.safeParse(await this.read(`${id}/workspace.json`));
    return parsed.success ? parsed.data : null;
  }

  /**
   * Whether a top-level folder is a workspace: it holds a workspace.json, readable or not (a
   * half-written one is still a workspace's). Any other folder (a submodule someone added with
   * git, a folder of notes) is not one, whatever it holds.
   */
  async isWorkspace(id: string): Promise<boolean> {
    const relative = `${id}/workspace.json`;
    if (existsSync(path.join(this.root, relative))) return true;
    return this.fallback ? (await this.fallback(relative).catch(() => null)) !== null : false;
  }

  async workspaceName(id: string): Promise<string> {
    return (await this.workspace(id))?.name ?? id;
  }

  /** A root-relative path as people know it: a workspace's folder by the workspace's name. */
  async pathForPeople(relativePath: string): Promise<string> {
    const [folder, ...rest] = relativePath.split('/');
    const workspace = rest.length > 0 ? await this.workspace(folder) : null;
    return workspace ? [workspace.name, ...rest].join('/') : relativePath;
  }

  async scenario(workspaceId: string, scenarioId: string): Promise<ScenarioFile | null> {
    const parsed = ScenarioFile.safeParse(await this.read(`${workspaceId}/scenarios/${scenarioId}/scenario.json`));
    return parsed.success ? parsed.data : null;
  }

  async scenarioName(workspaceId: string, scenarioId: string): Promise<string> {
    return (await this.scenario(workspaceId, scenarioId))?.name ?? scenarioId;
  }

  async run(workspaceId: string, scenarioId: string, runId: string): Promise<RunMetadataFile | null> {
    const parsed = RunMetadataFile.safeParse(await this.read(`${workspaceId}/scenarios/${scenarioId}/runs/${runId}/run_metadata.json`));
    return parsed.success ? parsed.data : null;
  }
}

/**
 * The workspace a person means: its id (folder name) or its name, as shown by `status`.
 * An unknown or ambiguous name is a configuration error that lists what there is.
 */
export async function findWorkspace(root: string, idOrName: string): Promise<{ id: string; name: string }> {
  const names = new NameBook(root);
  const folders = (await fsp.readdir(root, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory() && !d.name.startsWith('.'));
  const workspaces: { id: string; name: string }[] = [];
  for (const folder of folders) {
    const workspace = await names.workspace(folder.name);
    if (workspace) workspaces.push({ id: folder.name, name: workspace.name });
  }
  const byId = workspaces.find((w) => w.id === idOrName);
  if (byId) return byId;
  const byName = workspaces.filter((w) => w.name === idOrName);
  if (byName.length === 1) return byName[0];
  const known = workspaces.map((w) => `"${w.name}" (${w.id})`).join(', ') || 'none';
  if (byName.length > 1)
    throw new SyncConfigError(`Several workspaces are named "${idOrName}": use the id of the one you mean: ${byName.map((w) => w.id).join(', ')}.`);
  throw new SyncNotFoundError(`No workspace "${idOrName}" in ${root}. Workspaces here: ${known}.`);
}
