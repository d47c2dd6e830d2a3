import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { readSettings, writeSettings } from '../config/settings-file.js';
import { SyncConfigError, SyncNotFoundError, SyncNotInitializedError } from '../errors.js';
import { redactUrl } from '../models/remote-url.js';
import { blobAtPath, fileAtPath } from '../git/tree-diff.js';
import type { ConflictStrategy } from '../models/sync-config.js';
import type {
  Author,
  BranchList,
  BranchResult,
  ImportResult,
  ScenarioDiff,
  ScenarioList,
  ScenarioRestore,
  ScenarioVersions,
  ShareLink,
  WorkspaceHistory,
} from '../models/team.js';
import { commitIdentity, setRootAuthor } from '../sync/identity.js';
import { withRootLock } from '../state/lock.js';
import { resumeCheckout } from '../sync/integrate.js';
import { loadSyncContext, type SyncContext } from '../sync/sync-context.js';
import { SyncService, type SyncServiceOptions } from '../sync/sync-service.js';
import { teamRefs } from '../sync/team-remote.js';
import { findWorkspace, NameBook } from '../workspace/names.js';
import { createBranch, deleteBranch, listBranches, mergeBranch, switchBranch } from './branches.js';
import { workspaceHistory } from './contributors.js';
import { diffScenarioVersions, restoreScenarioVersion, scenarioVersions } from './scenario-versions.js';
import { buildShareLink } from '../models/share-link.js';
import { parseShareSource, remoteNameFor, sameRemote } from './share-link.js';
import { plural } from '../util/plural.js';

const IMPORT_PROBE_REF = 'refs/planalign/import/probe';

/**
 * Working as a team: branches of a workspace, sharing and importing workspaces by link, who
 * changed what, and every version of a scenario's configuration. Operations that write hold
 * the root's lock, like every sync.
 */
export class TeamService {
  private readonly sync: SyncService;

  constructor(
    readonly root: string,
    options: SyncServiceOptions = {},
  ) {
    this.sync = new SyncService(root, options);
  }

  private async locked<T>(operation: string, run: (context: SyncContext) => Promise<T>): Promise<T> {
    const context = await loadSyncContext(this.root);
    return withRootLock(context.repo.gitdir, operation, async () => {
      await resumeCheckout(context.repo);
      return run(context);
    });
  }

  async branches(workspace: string, options: { offline?: boolean } = {}): Promise<BranchList> {
    const context = await loadSyncContext(this.root);
    return listBranches(context, await findWorkspace(this.root, workspace), options);
  }

  async createBranch(workspace: string, branch: string): Promise<BranchResult> {
    return this.locked('branch', async (context) => createBranch(context, await findWorkspace(this.root, workspace), branch));
  }

  async switchBranch(workspace: string, branch: string): Promise<BranchResult> {
    return this.locked('branch', async (context) => switchBranch(context, await findWorkspace(this.root, workspace), branch));
  }

  async mergeBranch(workspace: string, branch: string, options: { strategy?: ConflictStrategy } = {}): Promise<BranchResult> {
    return this.locked('merge', async (context) => mergeBranch(context, await findWorkspace(this.root, workspace), branch, options.strategy));
  }

  async deleteBranch(workspace: string, branch: string, options: { force?: boolean } = {}): Promise<BranchResult> {
    return this.locked('branch', async (context) => deleteBranch(context, await findWorkspace(this.root, workspace), branch, options));
  }

  /** A link naming the remote that carries the workspace (origin, or `remote`), its branch and the workspace. */
  async share(workspace: string, options: { remote?: string } = {}): Promise<ShareLink> {
    const context = await loadSyncContext(this.root);
    const found = await findWorkspace(this.root, workspace);
    // Without a choice: origin, or (in a root that only shares through team remotes) the one carrying it.
    const carrier =
      !options.remote && !context.settings.remote ? Object.entries(context.settings.remotes).find(([, r]) => r.workspaces.includes(found.id))?.[0] : undefined;
    const chosen = options.remote ?? carrier;
    const team = chosen && chosen !== 'origin' ? context.settings.remotes[chosen] : null;
    if (chosen && chosen !== 'origin' && !team) {
      throw new SyncConfigError(`"${chosen}" is not a remote of this root.`, { field: 'remote', next: { action: 'list_remotes' } });
    }
    const remote = team ? team.url : context.settings.remote;
    const branch = team ? team.branch : context.branch;
    if (!remote) throw new SyncConfigError(`No remote is set, so there is nothing to share from.`, { next: { action: 'set_up_sync' } });
    if (context.settings.workspaces[found.id]?.enabled === false && !team) {
      throw new SyncConfigError(`"${found.name}" is excluded from sync, so teammates could not get it.`, {
        next: { action: 'include_everywhere', workspace: found.name },
      });
    }
    if (team && !team.workspaces.includes(found.id)) {
      throw new SyncConfigError(
        `The remote "${chosen}" does not carry "${found.name}".`,
        // The list replaces the remote's: the workspaces it carries now stay in it.
        { next: { action: 'add_to_remote', remote: chosen, url: redactUrl(team.url), workspaces: [...team.workspaces, found.id] } },
      );
    }
    const tracking = await context.repo.resolveRef(team ? teamRefs(chosen!, branch).tracking : context.trackingRef);
    const onRemote = tracking ? (await blobAtPath(context.repo, (await context.repo.readCommit(tracking)).tree, `${found.id}/workspace.json`)) !== null : false;
    const link = buildShareLink({ remote, branch, workspace: found.id, name: found.name });
    return {
      link,
      remote_url: remote,
      branch,
      workspace_id: found.id,
      workspace_name: found.name,
      on_remote: onRemote,
      message: onRemote
        ? `Send this link to a teammate with access to ${remote}; it brings "${found.name}" to their computer.`
        : `"${found.name}" is not on the remote yet: sync before sending the link.`,
    };
  }

  /**
   * Brings one workspace from a sharing link (or a remote URL and --workspace) into this root and
   * into sync, leaving the other workspaces alone. Through origin when the link names it; else
   * through a team remote carrying that workspace. One already here is merged, never duplicated.
   */
  async importWorkspace(source: string, options: { workspace?: string; strategy?: ConflictStrategy } = {}): Promise<ImportResult> {
    const shared = parseShareSource(source);
    let context = await loadSyncContext(this.root).catch((error: unknown) => {
      if (error instanceof SyncNotInitializedError) return null;
      throw error;
    });
    if (!context) {
      // A first import sets sync up here with no remote of its own: nothing else is brought.
      await this.sync.init({ remote: null });
      context = await loadSyncContext(this.root);
    }
    const wanted = await this.findSharedWorkspace(context, shared.remote, shared.branch, options.workspace ?? shared.workspace);
    const existed = existsSync(path.join(this.root, wanted.id, 'workspace.json'));
    const throughOrigin = !!context.settings.remote && sameRemote(shared.remote, context.settings.remote) && shared.branch === context.branch;
    const remoteName = await withRootLock(context.repo.gitdir, 'import', async () => {
      const settings = (await readSettings(this.root))!.sync;
      const include = (workspaces: typeof settings.workspaces) => {
        const { enabled: _enabled, ...others } = workspaces[wanted.id] ?? {};
        const next = { ...workspaces };
        if (Object.keys(others).length > 0) next[wanted.id] = others;
        else delete next[wanted.id];
        return next;
      };
      if (throughOrigin) {
        await writeSettings(this.root, { ...settings, workspaces: include(settings.workspaces) });
        return 'origin';
      }
      const existing = Object.entries(settings.remotes).find(([, r]) => sameRemote(r.url, shared.remote) && r.branch === shared.branch);
      const name = existing?.[0] ?? remoteNameFor(shared.remote, new Set(Object.keys(settings.remotes)));
      const carried = existing?.[1].workspaces ?? [];
      const remote = { url: shared.remote, branch: shared.branch, workspaces: carried.includes(wanted.id) ? carried : [...carried, wanted.id] };
      await writeSettings(this.root, { ...settings, workspaces: include(settings.workspaces), remotes: { ...settings.remotes, [name]: remote } });
      return name;
    });
    const pull = await this.sync.pull({ remote: remoteName, strategy: options.strategy });
    const where = remoteName === 'origin' ? 'origin' : `the remote "${remoteName}" (${redactUrl(shared.remote)})`;
    return {
      workspace_id: wanted.id,
      workspace_name: wanted.name,
      remote: remoteName,
      merged: existed,
      files_changed: pull.files_changed,
      resolved_conflicts: pull.resolved_conflicts,
      message: existed
        ? `"${wanted.name}" was already here: merged with the shared version (${plural(pull.files_changed, 'file')} changed). It syncs through ${where}.`
        : `Imported "${wanted.name}" (${plural(pull.files_changed, 'file')}). It syncs through ${where} with every push and pull.`,
    };
  }

  /** The workspace a link or --workspace names, as the remote has it (by id, or by a unique name). */
  private async findSharedWorkspace(context: SyncContext, url: string, branch: string, wanted: string | null): Promise<{ id: string; name: string }> {
    const { repo } = context;
    const head = await repo.fetch({ url, branch, trackingRef: IMPORT_PROBE_REF, localRef: IMPORT_PROBE_REF });
    await repo.deleteRef(IMPORT_PROBE_REF);
    if (!head) throw new SyncConfigError(`${redactUrl(url)} has no branch "${branch}" yet: ask whoever shared it to push first.`);
    const tree = (await repo.readCommit(head)).tree;
    const names = new NameBook('/nonexistent', (relative) => fileAtPath(repo, tree, relative));
    const available: { id: string; name: string }[] = [];
    for (const item of await repo.readTree(tree)) {
      if (item.type !== 'tree') continue;
      const workspace = await names.workspace(item.name);
      if (workspace) available.push({ id: item.name, name: workspace.name });
    }
    const listed = available.map((w) => `"${w.name}" (${w.id})`).join(', ') || 'none';
    if (!wanted) {
      if (available.length === 1) return available[0];
      throw new SyncConfigError(`Say which workspace to import: ${redactUrl(url)} has ${listed}.`, {
        field: 'workspace',
        next: { action: 'choose_workspace', workspaces: available.map((w) => w.name) },
      });
    }
    const byId = available.find((w) => w.id === wanted);
    if (byId) return byId;
    const byName = available.filter((w) => w.name === wanted);
    if (byName.length === 1) return byName[0];
    if (byName.length > 1)
      throw new SyncConfigError(
        `Several workspaces on the remote are named "${wanted}": use the id of the one you mean: ${byName.map((w) => w.id).join(', ')}.`,
      );
    throw new SyncNotFoundError(`${redactUrl(url)} has no workspace "${wanted}". It has ${listed}.`);
  }

  async history(workspace: string, options: { limit?: number } = {}): Promise<WorkspaceHistory> {
    const context = await loadSyncContext(this.root);
    return workspaceHistory(context, await findWorkspace(this.root, workspace), options);
  }

  /** The scenarios in the workspace's folder, by name. */
  async scenarios(workspace: string): Promise<ScenarioList> {
    const found = await findWorkspace(this.root, workspace);
    const names = new NameBook(this.root);
    const folders = await fsp.readdir(path.join(this.root, found.id, 'scenarios'), { withFileTypes: true }).catch(() => []);
    const scenarios = [];
    for (const folder of folders.filter((f) => f.isDirectory() && !f.name.startsWith('.'))) {
      const file = await names.scenario(found.id, folder.name);
      scenarios.push({ id: folder.name, name: file?.name ?? folder.name, status: file?.status ?? null, last_run_at: file?.last_run_at ?? null });
    }
    scenarios.sort((a, b) => a.name.localeCompare(b.name));
    return { workspace_id: found.id, workspace_name: found.name, scenarios };
  }

  async scenarioVersions(workspace: string, scenario: string): Promise<ScenarioVersions> {
    const context = await loadSyncContext(this.root);
    return scenarioVersions(context, await this.locate(workspace, scenario));
  }

  async diffScenario(workspace: string, scenario: string, from: string, to: string): Promise<ScenarioDiff> {
    const context = await loadSyncContext(this.root);
    return diffScenarioVersions(context, await this.locate(workspace, scenario), from, to);
  }

  async restoreScenario(workspace: string, scenario: string, version: string): Promise<ScenarioRestore> {
    const where = await this.locate(workspace, scenario);
    return this.locked('restore', (context) => restoreScenarioVersion(context, where, version));
  }

  /** Who this root's commits are recorded as, and where that comes from. */
  async author(): Promise<Author & { configured: boolean }> {
    const context = await loadSyncContext(this.root);
    const identity = await commitIdentity(context.repo);
    return { name: identity.name, email: identity.email, configured: (await context.repo.getConfig('user.name')) !== null };
  }

  /** Sets the name (and e-mail) this root's commits carry; kept in `.git/config`, on this machine only. */
  async setAuthor(author: { name: string; email?: string }): Promise<Author & { configured: boolean }> {
    await setRootAuthor((await loadSyncContext(this.root)).repo, author);
    return this.author();
  }

  /** A scenario of a workspace, by id or name; a scenario deleted since is found by its id. */
  private async locate(workspace: string, scenario: string): Promise<{ workspace: { id: string; name: string }; scenario: string }> {
    const found = await findWorkspace(this.root, workspace);
    const folders = await fsp.readdir(path.join(this.root, found.id, 'scenarios')).catch(() => [] as string[]);
    if (folders.includes(scenario)) return { workspace: found, scenario };
    const names = new NameBook(this.root);
    const byName: string[] = [];
    for (const id of folders) if ((await names.scenario(found.id, id))?.name === scenario) byName.push(id);
    if (byName.length === 1) return { workspace: found, scenario: byName[0] };
    if (byName.length > 1)
      throw new SyncConfigError(`Several scenarios of "${found.name}" are named "${scenario}": use the id of the one you mean: ${byName.join(', ')}.`);
    // Not here any more: its history is looked up by id, which must be one folder name.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(scenario) || scenario.includes('..')) {
      throw new SyncNotFoundError(`No scenario "${scenario}" in "${found.name}".`);
    }
    return { workspace: found, scenario };
  }
}
