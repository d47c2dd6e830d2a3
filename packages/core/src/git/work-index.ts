import { emptyIndex, entryWithoutStat, readIndex, UnreadableIndexError, type GitIndex } from './index-file.js';
import type { GitRepository } from './repository.js';
import { diffTrees } from './tree-diff.js';

/** The index, and why it had to be rebuilt from a commit when it could not be read. */
export type LoadedIndex = GitIndex & { rebuiltBecause?: string };

/**
 * The index, or, when the one on disk cannot be read (damaged, or in a form this project does
 * not read), the files of `tree` without stat data: every working file is then read and
 * compared, and nothing the last commit holds is taken for deleted.
 */
export async function readIndexOrTree(repo: GitRepository, tree: () => Promise<string | null>): Promise<LoadedIndex> {
  try {
    return await readIndex(repo.gitdir);
  } catch (error) {
    if (!(error instanceof UnreadableIndexError)) throw error;
    const entries = new Map();
    const oid = await tree();
    for (const file of oid ? await diffTrees(repo, null, oid, '', { gitlinks: true }) : []) {
      entries.set(file.path, entryWithoutStat(file.path, file.after!, Number.parseInt(file.afterMode!, 8)));
    }
    return { ...emptyIndex(), entries, rebuiltBecause: error.reason };
  }
}

/** readIndexOrTree with the tree of the commit a ref points at (the branch the working tree shows). */
export function readIndexOrCommit(repo: GitRepository, ref: string): Promise<LoadedIndex> {
  return readIndexOrTree(repo, async () => {
    const commit = await repo.resolveRef(ref);
    return commit ? (await repo.readCommit(commit)).tree : null;
  });
}
