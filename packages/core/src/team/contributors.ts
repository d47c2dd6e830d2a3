import type { CommitInfo, GitRepository } from '../git/repository.js';
import { diffTrees, fileAtPath } from '../git/tree-diff.js';
import type { Contributor, WorkspaceChange, WorkspaceHistory } from '../models/team.js';
import type { SyncContext } from '../sync/sync-context.js';
import { NameBook } from '../workspace/names.js';
import { placeOf } from '../workspace/paths.js';
import { lineTip, shownLine, workspaceTree } from '../sync/workspace-lines.js';

/**
 * The commits of a line that changed something, newest first. A merge counts only when it made
 * something neither parent had: what it brought in is credited to the commits that wrote it.
 */
export async function changesAlongLine(
  repo: GitRepository,
  tip: string,
  subject: (rootTree: string | null) => Promise<string | null>,
): Promise<{ commit: CommitInfo; before: string | null; after: string | null; generation: number }[]> {
  const found: { commit: CommitInfo; before: string | null; after: string | null; generation: number }[] = [];
  const commits = await repo.commitsReachable([tip]);
  // Commits of the same second are ordered by ancestry: a commit comes after its parents.
  const generations = new Map<string, number>();
  const generation = (oid: string): number => {
    const known = generations.get(oid);
    if (known !== undefined) return known;
    const stack = [oid];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const pending = (commits.get(top)?.parents ?? []).filter((p) => commits.has(p) && !generations.has(p));
      if (pending.length > 0) {
        stack.push(...pending);
        continue;
      }
      stack.pop();
      generations.set(top, 1 + Math.max(0, ...(commits.get(top)?.parents ?? []).map((p) => generations.get(p) ?? 0)));
    }
    return generations.get(oid)!;
  };
  for (const commit of commits.values()) {
    const after = await subject(commit.tree);
    const parents = await Promise.all(commit.parents.map(async (p) => subject((commits.get(p) ?? (await repo.readCommit(p))).tree)));
    if (parents.length === 0 ? after === null : parents.includes(after)) continue;
    found.push({ commit, before: parents[0] ?? null, after, generation: generation(commit.oid) });
  }
  // A change carried to a team remote comes back as a commit of its own (same author, date and
  // result): it is one change, counted once, as the commit that first made it.
  const seen = new Set<string>();
  return found
    .sort((a, b) => a.commit.committedAt - b.commit.committedAt || a.generation - b.generation)
    .filter(({ commit, after }) => {
      const key = `${commit.authorEmail.toLowerCase()}\n${commit.authoredAt}\n${after}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .reverse();
}

/** Who changed a workspace and its scenarios, and when, from the history of the line it shows. */
export async function workspaceHistory(
  context: SyncContext,
  workspace: { id: string; name: string },
  options: { limit?: number } = {},
): Promise<WorkspaceHistory> {
  const { repo } = context;
  const line = await shownLine(context, workspace.id);
  const tip = await lineTip(context, workspace.id, line);
  const changes: WorkspaceChange[] = [];
  const contributors = new Map<string, Contributor>();
  if (tip.commit) {
    // Names of scenarios deleted since are read from the commit that still had them.
    const names = new NameBook(context.root, (relative) => fileAtPath(repo, tip.tree, relative));
    for (const { commit, before, after } of await changesAlongLine(repo, tip.commit, (tree) => workspaceTree(repo, tree, workspace.id))) {
      const files = await diffTrees(repo, before, after, workspace.id);
      const scenarioIds = [...new Set(files.map((f) => placeOf(f.path).scenarioId).filter((s): s is string => !!s))];
      const scenarios = await Promise.all(
        scenarioIds.map(async (id) => ({
          id,
          name: (await names.scenario(workspace.id, id))?.name ?? (await nameAt(repo, commit.tree, workspace.id, id)) ?? id,
        })),
      );
      const timestamp = new Date(commit.committedAt * 1000).toISOString();
      const author = { name: commit.author, email: commit.authorEmail };
      changes.push({ commit: commit.oid, author, timestamp, message: commit.message.trim().split('\n')[0], files_changed: files.length, scenarios });
      const key = author.email.toLowerCase() || author.name;
      const known = contributors.get(key);
      if (!known) {
        contributors.set(key, { author, changes: 1, first_change_at: timestamp, last_change_at: timestamp, scenarios: [...scenarios] });
        continue;
      }
      known.changes += 1;
      known.first_change_at = timestamp;
      for (const scenario of scenarios) if (!known.scenarios.some((s) => s.id === scenario.id)) known.scenarios.push(scenario);
    }
  }
  return {
    workspace_id: workspace.id,
    workspace_name: workspace.name,
    branch: line,
    contributors: [...contributors.values()].sort((a, b) => b.changes - a.changes || (a.last_change_at < b.last_change_at ? 1 : -1)),
    changes: options.limit ? changes.slice(0, options.limit) : changes,
  };
}

async function nameAt(repo: GitRepository, tree: string, workspace: string, scenario: string): Promise<string | null> {
  const content = await fileAtPath(repo, tree, `${workspace}/scenarios/${scenario}/scenario.json`);
  try {
    const name = content ? (JSON.parse(Buffer.from(content).toString('utf8')) as { name?: unknown }).name : null;
    return typeof name === 'string' ? name : null;
  } catch {
    return null;
  }
}
