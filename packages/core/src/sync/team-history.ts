import type { Signature } from '../git/objects.js';
import type { CommitInfo, GitRepository, TreeItem } from '../git/repository.js';
import { parentsFirst } from '../git/commit-order.js';
import { composeRootTree } from '../git/tree-compose.js';
import { diffTrees, fileAtPath } from '../git/tree-diff.js';
import { NameBook } from '../workspace/names.js';
import { commitMessage, summarizeChanges } from './change-summary.js';

/** More commits than this since the last exchange go to a team remote as one. */
export const MAX_CARRIED_COMMITS = 500;

/** How far back a root's first exchange looks for a commit the team has already. */
const SEARCH_DEPTH = 200;

export interface TeamLineProjection {
  /** this root's branch now */
  mainHead: string;
  /**
   * this root's commit at the last exchange (everything it reaches is on the team line), and
   * the team commit that mirrors it; null on this root's first exchange
   */
  exchanged: { main: string; team: string | null } | null;
  /** commits whose history is the team remote's own: its fetched head, our line */
  teamTips: string[];
  /** top-level names of a root the team remote carries */
  carried: (name: string) => boolean;
  /** settings and ignore rules for a team line that starts with these commits (made only then) */
  rootFiles: () => Promise<TreeItem[]>;
  /** who carries the commits over (each keeps its own author) */
  committer: Signature;
  /** the root, for workspace names in messages */
  root: string;
}

/**
 * This root's commits since the last exchange, carried onto the team line one by one: every
 * commit that changed a carried workspace becomes a team commit with the same author, date and
 * message, and a merge of the team's commits stays a merge of those very commits. So the team
 * sees who changed what, as the root's history does, and a teammate's change that came in here
 * is never sent back as the owner's. A commit another machine of ours carried already (same
 * author, date and carried content) is taken as it is, not carried twice; on a root's first
 * exchange, the newest such commit is where carrying starts.
 *
 * Returns the team commit that mirrors `mainHead` (null when no commit carried anything yet),
 * or undefined when there is no known starting point or more than MAX_CARRIED_COMMITS to carry.
 */
export async function carryOntoTeamLine(repo: GitRepository, projection: TeamLineProjection): Promise<string | null | undefined> {
  const { mainHead, carried } = projection;
  const team = await TeamHistory.load(repo, projection.teamTips, carried);
  const start = projection.exchanged ?? (await team.lastCarried(mainHead));
  if (!start) return undefined;
  if (mainHead === start.main) return start.team;
  const pending = (await repo.compareHistories(mainHead, start.main)).onlyLocal;
  if (pending.length > MAX_CARRIED_COMMITS) return undefined;

  const commits = new Map<string, CommitInfo>();
  for (const oid of pending) commits.set(oid, await repo.readCommit(oid));
  const treeOf = async (oid: string) => (commits.get(oid) ?? (await repo.readCommit(oid))).tree;
  const mirror = new Map<string, string | null>();
  const mirrorOf = (parent: string) => (mirror.has(parent) ? mirror.get(parent)! : team.has(parent) ? parent : start.team);
  for (const oid of await parentsFirst(repo, mainHead, new Set(pending))) {
    const commit = commits.get(oid)!;
    if (team.has(oid)) {
      mirror.set(oid, oid);
      continue;
    }
    const parents = await withoutAncestors(
      repo,
      [...new Set(commit.parents.map(mirrorOf))].filter((p): p is string => p !== null),
    );
    // What the team carries for others comes from the team's own commit when this one merged one in.
    const into = parents.find((p) => team.has(p)) ?? parents[0] ?? null;
    const intoTree = into ? await treeOf(into) : null;
    const tree = await composeRootTree(repo, intoTree, commit.tree, carried, intoTree ? [] : await projection.rootFiles());
    if (parents.length <= 1 && (tree === intoTree || (parents.length === 0 && !(await team.carriedContent(tree))))) {
      mirror.set(oid, parents[0] ?? null);
      continue;
    }
    const known = await team.copyOf(commit);
    if (known) {
      mirror.set(oid, known);
      continue;
    }
    const author: Signature = { name: commit.author, email: commit.authorEmail, timestamp: commit.authoredAt, timezoneOffset: commit.authorTimezoneOffset };
    const message = await messageFor(repo, commit, intoTree, tree, projection);
    mirror.set(oid, await repo.writeCommit({ tree, parents, message, author, committer: projection.committer }));
  }
  return mirror.get(mainHead) ?? start.team;
}

/** The team line's commits, found by author and date, to tell what it holds already. */
class TeamHistory {
  private readonly byDate = new Map<number, CommitInfo[]>();

  private constructor(
    private readonly repo: GitRepository,
    private readonly commits: Map<string, CommitInfo>,
    private readonly carried: (name: string) => boolean,
  ) {
    for (const commit of commits.values()) this.byDate.set(commit.authoredAt, [...(this.byDate.get(commit.authoredAt) ?? []), commit]);
  }

  static async load(repo: GitRepository, tips: string[], carried: (name: string) => boolean): Promise<TeamHistory> {
    return new TeamHistory(repo, await repo.commitsReachable(tips), carried);
  }

  has(oid: string): boolean {
    return this.commits.has(oid);
  }

  /** The carried workspaces of a root tree, as one comparable string. */
  async carriedContent(tree: string | null): Promise<string> {
    if (!tree) return '';
    return (await this.repo.readTree(tree))
      .filter((item) => this.carried(item.name))
      .map((item) => `${item.name}\0${item.oid}`)
      .sort()
      .join('\n');
  }

  /** A team commit that carries this root commit already: same author, date and carried content. */
  async copyOf(commit: CommitInfo): Promise<string | null> {
    const content = await this.carriedContent(commit.tree);
    for (const candidate of this.byDate.get(commit.authoredAt) ?? []) {
      if (candidate.authorEmail.toLowerCase() !== commit.authorEmail.toLowerCase()) continue;
      if ((await this.carriedContent(candidate.tree)) === content) return candidate.oid;
    }
    return null;
  }

  /** The newest commit along a root's branch that the team line holds, itself or as a copy. */
  async lastCarried(mainHead: string): Promise<{ main: string; team: string } | null> {
    let oid: string | undefined = mainHead;
    for (let depth = 0; oid && depth < SEARCH_DEPTH; depth += 1) {
      if (this.has(oid)) return { main: oid, team: oid };
      const commit = await this.repo.readCommit(oid);
      const copy = await this.copyOf(commit);
      if (copy) return { main: oid, team: copy };
      oid = commit.parents[0];
    }
    return null;
  }
}

/** The parents a merge still needs: one that another already reaches adds nothing. */
async function withoutAncestors(repo: GitRepository, parents: string[]): Promise<string[]> {
  if (parents.length < 2) return parents;
  const kept: string[] = [];
  for (const parent of parents) {
    let reached = false;
    for (const other of parents) if (other !== parent && (await repo.isAncestor(parent, other))) reached = true;
    if (!reached) kept.push(parent);
  }
  return kept;
}

/**
 * The commit's own message when everything it changed is carried; else one that names only what
 * the team receives, so a workspace kept off the team remote is never named there.
 */
async function messageFor(repo: GitRepository, commit: CommitInfo, intoTree: string | null, tree: string, projection: TeamLineProjection): Promise<string> {
  const before = commit.parents[0] ? (await repo.readCommit(commit.parents[0])).tree : null;
  const beforeItems = new Map(before ? (await repo.readTree(before)).map((item) => [item.name, item.oid]) : []);
  const afterItems = new Map((await repo.readTree(commit.tree)).map((item) => [item.name, item.oid]));
  const changedNames = [...new Set([...beforeItems.keys(), ...afterItems.keys()])].filter((name) => beforeItems.get(name) !== afterItems.get(name));
  if (changedNames.every(projection.carried)) return commit.message;
  const changes = (await diffTrees(repo, intoTree, tree)).filter((change) => projection.carried(change.path.split('/')[0]));
  const names = new NameBook(projection.root, (relative) => fileAtPath(repo, commit.tree, relative));
  const files = changes.map((change) => ({
    path: change.path,
    kind: change.before === null ? ('added' as const) : change.after === null ? ('deleted' as const) : ('modified' as const),
  }));
  return commitMessage(await summarizeChanges(files, names), files.length);
}
