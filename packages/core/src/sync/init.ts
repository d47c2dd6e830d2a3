import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parseSettings, readSettings, SETTINGS_FILE, writeSettings } from '../config/settings-file.js';
import { readPlanAlignSettingsText } from '../config/planalign-legacy.js';
import { SyncBranchChangeError, SyncConfigError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { assertRemoteUrlIsSafe } from '../git/remote-url.js';
import { GitRepository } from '../git/repository.js';
import { readIndex } from '../git/index-file.js';
import { fileAtPath, listTreeFiles } from '../git/tree-diff.js';
import { GITIGNORE_FILE, readGitignore, writeMergedGitignore } from '../ignore/gitignore-template.js';
import { branchNameProblem } from '../models/branch-name.js';
import { redactUrl } from '../models/remote-url.js';
import type { InitResult } from '../models/results.js';
import { SyncConfig } from '../models/sync-config.js';
import { withRootLock } from '../state/lock.js';
import { countTree } from '../workspace/paths.js';
import { adoptPlanAlignRoot } from './adopt-planalign.js';
import { setRootAuthor } from './identity.js';
import { integrateRemote, resumeCheckout, type Integration } from './integrate.js';
import { appendJournal, writeLocalState } from './journal.js';
import { commitLocalChanges } from './local-commit.js';
import { initMessage } from './messages.js';
import type { ProgressReporter } from './progress.js';
import { assertSyncRepository } from './remote-check.js';
import { loadSyncContext, remoteHere } from './sync-context.js';

export interface InitOptions {
  remote?: string | null;
  branch?: string;
  author?: { name: string; email?: string };
  /** a root already syncing another branch moves to this one (it splits this computer from the others) */
  confirmBranchChange?: boolean;
}

/** Creates or updates a root's sync set-up and, when the remote already holds workspaces, brings them here. */
export async function initRoot(root: string, options: InitOptions, progress: ProgressReporter): Promise<InitResult> {
  if (options.remote) assertRemoteUrlIsSafe(options.remote, '--remote');
  // A full ref name means the branch it names, as it does for git.
  if (options.branch?.startsWith('refs/heads/')) options = { ...options, branch: options.branch.slice('refs/heads/'.length) };
  if (options.branch !== undefined) {
    const problem = branchNameProblem(options.branch);
    if (problem) {
      throw new SyncConfigError(`The branch "${options.branch}" is not a name git accepts: ${problem}. Use a name such as "main".`, { field: 'branch' });
    }
  }
  await fsp.mkdir(root, { recursive: true });
  const repo = new GitRepository(root);
  const createdRepository = !(await repo.exists());
  if (!createdRepository) await repo.assertSupportedFormat();
  await adoptPlanAlignRoot(root);
  const existing = await readSettings(root);
  let branch = options.branch ?? existing?.sync.branch ?? 'main';
  const remote = options.remote ?? (existing?.sync.remote ? await remoteHere(repo, existing.sync.remote) : null);
  if (existing?.sync.remote && remote && branch !== existing.sync.branch && !options.confirmBranchChange) {
    await refuseBranchChange(repo, remote, existing.sync.branch, branch);
  }
  if (createdRepository) await repo.init(branch);
  // Before the first commit, so that it already carries the name people chose.
  if (options.author) await setRootAuthor(repo, options.author);
  const initializing = withRootLock(repo.gitdir, 'init', async () => {
    await resumeCheckout(repo);
    if (!(await repo.resolveRef(`refs/heads/${branch}`))) await repo.setHeadBranch(branch);
    let remoteHead: string | null = null;
    let remoteTree: string | null = null;
    let followedBranch: string | null = null;
    if (remote) {
      progress.step('fetch', 'Looking for workspaces on the remote');
      remoteHead = await repo.fetch({ url: remote, branch, onProgress: progress.transfer('fetch') });
      // A machine joining a remote that has no "main" but one other branch (PlanAlign's own sync
      // leaves its work on "master") follows that branch, unless a branch was asked for.
      if (!remoteHead && options.branch === undefined && !existing && !(await repo.resolveRef(`refs/heads/${branch}`))) {
        const only = await onlyRemoteBranch(repo, remote);
        if (only) {
          followedBranch = only;
          branch = only;
          await repo.setHeadBranch(branch);
          remoteHead = await repo.fetch({ url: remote, branch, onProgress: progress.transfer('fetch') });
        }
      }
      remoteTree = remoteHead ? (await repo.readCommit(remoteHead)).tree : null;
      if (remoteTree) await assertSyncRepository(repo, remoteTree, remote, branch);
      await repo.setRemote(remote);
    } else if (await repo.remoteUrl()) {
      await repo.removeRemote();
    }
    // A second machine adopts the settings and ignore rules already on the remote.
    const remoteSettings = await readRemoteSettings(repo, remoteTree);
    const base = existing?.sync ?? remoteSettings ?? SyncConfig.parse({});
    await writeSettings(root, { ...base, enabled: true, remote, branch });
    if (remoteTree && (await readGitignore(root)) === null) {
      const rules = await fileAtPath(repo, remoteTree, GITIGNORE_FILE);
      if (rules) await writeFileAtomic(path.join(root, GITIGNORE_FILE), rules);
    }
    await writeMergedGitignore(root);

    const context = await loadSyncContext(root);
    progress.step('commit', 'Recording local workspaces');
    const local = await commitLocalChanges(context, 'Start syncing this workspaces root');
    let integration: Integration | null = null;
    if (remoteHead) {
      progress.step('merge', 'Bringing down workspaces from the remote');
      integration = await integrateRemote(context, remoteHead, undefined, await firstCommitEditTimes(repo, local.commit));
      await writeLocalState(repo.gitdir, { last_sync: new Date().toISOString() });
      // A remote PlanAlign's own sync wrote to brings its flat settings and its log here: taken over at once.
      await adoptPlanAlignRoot(root, { lockHeld: true });
    }
    const fromRemote = remoteTree ? countTree((await listTreeFiles(repo, remoteTree)).keys()) : null;
    await appendJournal(repo.gitdir, {
      timestamp: new Date().toISOString(),
      operation: 'init',
      workspaces_affected: local.summary.workspaces,
      scenarios_affected: [],
      message: remote ? `Initialized sync with ${remote}` : 'Initialized sync (no remote yet)',
      commit: integration?.head ?? local.commit,
    });
    return {
      root,
      remote_url: remote,
      branch,
      created_repository: createdRepository,
      from_remote: fromRemote,
      resolved_conflicts: integration?.resolved ?? [],
      message: initMessage(fromRemote, integration ? countTree(integration.applied.filter((c) => c.before === null).map((c) => c.path)) : null, followedBranch),
    };
  });
  // A repository this call made, left with no commit because the remote could not be reached (a
  // wrong address, a proxy): removed, so the folder is as it was and the next init starts clean.
  return initializing.catch(async (error: unknown) => {
    if (createdRepository && !(await repo.resolveRef('HEAD').catch(() => null))) await fsp.rm(repo.gitdir, { recursive: true, force: true });
    throw error;
  });
}

/**
 * Each file's own modification time, for last-write-wins, when this root's history is only the
 * commit init just made: that commit holds every file of the root, dated by the newest, and a
 * copy of the workspaces made weeks ago would otherwise win over everything changed since on
 * the remote. Undefined once the root has history of its own (its commits date its edits).
 */
async function firstCommitEditTimes(repo: GitRepository, commit: string | null): Promise<((filePath: string) => number | null) | undefined> {
  if (!commit || (await repo.readCommit(commit)).parents.length > 0) return undefined;
  const { entries } = await readIndex(repo.gitdir);
  return (filePath) => entries.get(filePath)?.mtimeSeconds ?? null;
}

async function readRemoteSettings(repo: GitRepository, remoteTree: string | null): Promise<SyncConfig | null> {
  if (!remoteTree) return null;
  const content = await fileAtPath(repo, remoteTree, SETTINGS_FILE);
  if (!content) return null;
  const text = Buffer.from(content).toString('utf8');
  try {
    return parseSettings(text, `${SETTINGS_FILE} on the remote`).sync;
  } catch {
    // Written by PlanAlign's own sync: its settings, without the token.
    return readPlanAlignSettingsText(text)?.sync ?? null;
  }
}

/** The remote's one branch, workspace branches aside; null when it has none or several. */
async function onlyRemoteBranch(repo: GitRepository, url: string): Promise<string | null> {
  const heads = [...(await repo.listRemoteRefs(url, 'refs/heads')).keys()]
    .map((ref) => ref.slice('refs/heads/'.length))
    .filter((name) => !name.startsWith('workspaces/'));
  return heads.length === 1 ? heads[0] : null;
}

/**
 * Stops a change of branch on a root that already syncs: every later push would go to the
 * new branch, and this computer would stop seeing the others' work without a word.
 */
async function refuseBranchChange(repo: GitRepository, remote: string, current: string, requested: string): Promise<never> {
  const remoteBranches = await repo
    .listRemoteRefs(remote, 'refs/heads')
    .then((refs) => [...refs.keys()].map((ref) => ref.slice('refs/heads/'.length)).sort())
    .catch(() => [] as string[]);
  const sameButCase = remoteBranches.find((name) => name !== requested && name.toLowerCase() === requested.toLowerCase());
  const others = remoteBranches.length > 0 ? `The remote has ${remoteBranches.map((name) => `"${name}"`).join(', ')}.` : '';
  throw new SyncBranchChangeError(
    `This root syncs the branch "${current}" of ${redactUrl(remote)}, where the other computers' work is. ${others} ` +
      `Moving to "${requested}" would send this computer's work there and stop bringing theirs here` +
      `${sameButCase ? ` (did you mean "${sameButCase}"? branch names are case-sensitive)` : ''}. Nothing was changed; confirm the change to make it.`,
    current,
    requested,
    remoteBranches,
  );
}
