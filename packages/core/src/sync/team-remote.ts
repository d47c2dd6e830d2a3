import { stringify } from 'yaml';
import { createStrategyResolver } from '../conflict/strategy-resolver.js';
import { mergeTrees } from '../conflict/three-way-merge.js';
import { SETTINGS_FILE } from '../config/settings-file.js';
import { SyncConflictError, SyncNetworkError } from '../errors.js';
import { writeLooseObject } from '../git/objects.js';
import type { GitRepository, TransferProgress, TreeItem } from '../git/repository.js';
import { composeRootTree } from '../git/tree-compose.js';
import { diffTrees, type PathChange } from '../git/tree-diff.js';
import { GITIGNORE_FILE } from '../ignore/gitignore-template.js';
import type { ResolvedConflict } from '../models/results.js';
import type { ConflictStrategy, RemoteSettings } from '../models/sync-config.js';
import { strategyFor, workspaceEnabled } from '../workspace/selection.js';
import { commitIdentity } from './identity.js';
import { checkOut, lastChanges } from './integrate.js';
import { carryOntoTeamLine } from './team-history.js';
import { PUSH_ATTEMPTS, pushRetryDelay } from './push-race.js';
import type { SyncContext } from './sync-context.js';
import { plural } from '../util/plural.js';
import { appendAll } from '../util/arrays.js';

/** What one exchange with a team remote did. */
export interface TeamExchange {
  remote: string;
  /** files of this root changed by what came from the remote */
  applied: PathChange[];
  pushed: boolean;
  /** what the push changed on the remote (nothing when it did not push) */
  sent: PathChange[];
  resolved: ResolvedConflict[];
  /** why the exchange failed (unreachable, refused, conflict); the other remotes still sync */
  error: string | null;
}

/** How far back a side's history is searched for when it last changed a file (last-write-wins). */
const HISTORY_DEPTH = 200;

/**
 * Refs of a team remote: its fetched head, our line of commits exchanged with it, this root's
 * branch as our line last mirrored it, and this root's branch as it was when the remote last
 * held everything it carries from here.
 */
export const teamRefs = (name: string, branch: string) => ({
  tracking: `refs/remotes/${name}/${branch}`,
  line: `refs/planalign/remotes/${name}`,
  mirrored: `refs/planalign/mirrored/${name}`,
  exchanged: `refs/planalign/exchanged/${name}`,
});

/**
 * For a root that shares only through team remotes (there is no origin to be ahead of): the
 * commits of its branch made since each remote last held everything it carries from here, all
 * of them for a remote never exchanged with.
 */
export async function commitsSinceExchange(context: SyncContext, head: string): Promise<number> {
  const { repo } = context;
  const since = new Set<string>();
  for (const [name, remote] of Object.entries(context.settings.remotes)) {
    const exchanged = await repo.resolveRef(teamRefs(name, remote.branch).exchanged);
    if (exchanged === head) continue;
    const commits = exchanged && (await repo.hasCommit(exchanged)) ? (await repo.compareHistories(head, exchanged)).onlyLocal : await repo.history(head);
    for (const commit of commits) since.add(commit);
  }
  return since.size;
}

async function firstParents(repo: GitRepository, tip: string | null, depth: number): Promise<string[]> {
  const commits: string[] = [];
  for (let oid = tip; oid && commits.length < depth; oid = (await repo.readCommit(oid)).parents[0] ?? null) commits.push(oid);
  return commits;
}

/**
 * A team remote's tree carries only the workspaces mapped to it, at the top level as in a root,
 * with settings of its own (its URL as the remote), so a teammate who has only that remote can
 * `init` from it. Exchanging with it is a three-way merge between our side (the last tree we
 * exchanged, with the mapped workspaces as this root has them now) and the remote's, by the same
 * rules as any merge. The team's commit comes into this root as a merge, and this root's own
 * commits go to the team one by one (team-history.ts): both sides keep who changed what.
 * Workspaces the remote carries for others are left as they are on both sides.
 */
export async function exchangeWithTeamRemote(
  context: SyncContext,
  name: string,
  remote: RemoteSettings,
  options: { push: boolean; strategy?: ConflictStrategy; onProgress?: (progress: TransferProgress) => void },
): Promise<TeamExchange> {
  const { repo } = context;
  const refs = teamRefs(name, remote.branch);
  const mapped = new Set(remote.workspaces.filter((id) => workspaceEnabled(context, id)));
  const carried = (entry: string) => mapped.has(entry);
  const transport = { url: remote.url, branch: remote.branch, localRef: refs.line, trackingRef: refs.tracking, onProgress: options.onProgress };
  const resolved: ResolvedConflict[] = [];
  const applied: PathChange[] = [];
  for (let attempt = 1; attempt <= PUSH_ATTEMPTS; attempt += 1) {
    if (attempt > 1) await pushRetryDelay(attempt);
    const theirs = await repo.fetch(transport);
    const ours = await repo.resolveRef(refs.line);
    const mainHead = await repo.resolveRef(context.branchRef);
    const mainTree = mainHead ? (await repo.readCommit(mainHead)).tree : null;
    const theirsTree = theirs ? (await repo.readCommit(theirs)).tree : null;
    const oursTree = ours ? (await repo.readCommit(ours)).tree : null;

    const projected = await composeRootTree(
      repo,
      oursTree ?? theirsTree,
      mainTree,
      carried,
      await teamRootFiles(repo, oursTree ?? theirsTree, mainTree, remote),
    );
    let merged = projected;
    let oursIsBehind = false;
    if (theirs && theirsTree) {
      // Without a line of our own (this machine's first exchange), the team's commits this
      // root's branch merged already (on another machine, through origin) are the common ground.
      const histories = ours
        ? await repo.compareHistories(ours, theirs)
        : mainHead
          ? await repo.compareHistories(mainHead, theirs)
          : { onlyLocal: [], onlyRemote: await firstParents(repo, theirs, HISTORY_DEPTH), bases: [] };
      oursIsBehind = ours !== null && histories.bases.includes(ours);
      const baseTree = histories.bases[0] ? (await repo.readCommit(histories.bases[0])).tree : null;
      const mainHistory = await firstParents(repo, mainHead, HISTORY_DEPTH);
      const resolver = createStrategyResolver({
        repo,
        strategyFor: strategyFor(context.settings, options.strategy),
        ours: { commit: mainHead ?? theirs, changedAt: lastChanges(repo, mainHistory) },
        theirs: { commit: theirs, changedAt: lastChanges(repo, histories.onlyRemote) },
        resolved,
      });
      merged = await mergeTrees(repo, baseTree, projected, theirsTree, resolver.resolve);
      if (resolver.unresolved.length > 0) {
        const files = resolver.unresolved.map((c) => c.path);
        throw new SyncConflictError(
          `${plural(files.length, 'file')} changed both here and on the remote "${name}": ${files.slice(0, 5).join(', ')}. ` + `Nothing was changed.`,
          files,
          { next: { action: 'choose_strategy', remote: name } },
        );
      }
    }

    // What came from the team goes into this root's branch as a merge of the team's commit, so
    // its authors stay in this root's history (and origin's, with the next push).
    const nextMainTree = await composeRootTree(repo, mainTree, merged, carried);
    const identity = await commitIdentity(repo);
    let head = mainHead;
    if (nextMainTree !== mainTree && (mainTree !== null || mapped.size > 0)) {
      head = await repo.writeCommit({
        tree: nextMainTree,
        parents: [mainHead, theirs].filter((oid): oid is string => !!oid),
        message: `Merge changes from the remote "${name}"`,
        author: identity,
      });
      const moved = await checkOut(repo, context.branchRef, mainTree, nextMainTree, head);
      appendAll(applied, moved.applied);
    }

    const mirrored = await repo.resolveRef(refs.mirrored);
    let tip =
      head && (mirrored || theirs)
        ? await carryOntoTeamLine(repo, {
            mainHead: head,
            exchanged: mirrored ? { main: mirrored, team: ours } : null,
            teamTips: [theirs, ours].filter((oid): oid is string => !!oid),
            carried,
            rootFiles: () => teamRootFiles(repo, null, mainTree, remote),
            committer: identity,
            root: context.root,
          })
        : undefined;
    if (tip === undefined) {
      // A first share (or too much since the last exchange to carry commit by commit) sends
      // what the workspaces are now as one commit, named after the person, never the folder:
      // a path on this machine is nobody else's business.
      const parents = [theirs, oursIsBehind ? null : ours].filter((oid): oid is string => !!oid);
      tip =
        merged === theirsTree
          ? theirs
          : await repo.writeCommit({ tree: merged, parents: [...new Set(parents)], message: `Sync workspaces from ${identity.name}`, author: identity });
    } else if (theirs && tip !== theirs && !(tip && (await repo.isAncestor(theirs, tip)))) {
      // Their commit brought nothing this root carries (or nothing yet): it joins our line here.
      tip =
        tip === null || (await repo.isAncestor(tip, theirs))
          ? theirs
          : await repo.writeCommit({ tree: merged, parents: [tip, theirs], message: `Merge changes from the remote "${name}"`, author: identity });
    }

    // Our line mirrors this root's branch from now on; the next exchange starts from both. Once
    // the remote holds our line too, the commits not yet shared with it start from here.
    const remember = async (remoteHoldsAll: boolean) => {
      if (tip) await repo.writeRef(refs.line, tip);
      if (!head) return;
      await repo.writeRef(refs.mirrored, head);
      if (remoteHoldsAll) await repo.writeRef(refs.exchanged, head);
    };
    if (!options.push || !tip || tip === theirs) {
      await remember(!tip || tip === theirs);
      return { remote: name, applied, pushed: false, sent: [], resolved, error: null };
    }
    await repo.writeRef(refs.line, tip);
    if (await repo.push(transport)) {
      await remember(true);
      return { remote: name, applied, pushed: true, sent: await diffTrees(repo, theirsTree, merged), resolved, error: null };
    }
    // Someone pushed in between: our line keeps its last exchanged commit, and we try again.
    if (ours) await repo.writeRef(refs.line, ours);
    else await repo.deleteRef(refs.line);
  }
  throw new SyncNetworkError(`The remote "${name}" kept changing while pushing (${PUSH_ATTEMPTS} attempts). Your work is committed here; push again.`);
}

/** The settings and ignore rules at the top of a team remote: its own, or made for it from this root's. */
async function teamRootFiles(repo: GitRepository, teamTree: string | null, mainTree: string | null, remote: RemoteSettings): Promise<TreeItem[]> {
  const existing = new Set(teamTree ? (await repo.readTree(teamTree)).map((item) => item.name) : []);
  const files: TreeItem[] = [];
  if (!existing.has(SETTINGS_FILE)) {
    const settings = `# planalign-sync settings of a shared remote. Never put a token here.\n${stringify({ version: 1, sync: { remote: remote.url, branch: remote.branch } })}`;
    files.push({ name: SETTINGS_FILE, mode: '100644', type: 'blob', oid: await writeLooseObject(repo.gitdir, 'blob', Buffer.from(settings)) });
  }
  const ignore = !existing.has(GITIGNORE_FILE) && mainTree ? (await repo.readTree(mainTree)).find((item) => item.name === GITIGNORE_FILE) : undefined;
  if (ignore) files.push(ignore);
  return files;
}
