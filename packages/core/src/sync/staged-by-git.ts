import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { GitIndex } from '../git/index-file.js';
import type { LoadedIndex } from '../git/work-index.js';
import type { GitRepository } from '../git/repository.js';
import { diffTrees } from '../git/tree-diff.js';
import { stateDir } from '../state/state-dir.js';
import type { ChangeKind } from './stage.js';

/**
 * What native git staged (`git add`) and nobody committed: index entries that differ from the
 * branch's last commit. Sync compares the working files with the index, so a file edited and
 * added with git looked unchanged: it was never pushed, and the next pull replaced it.
 *
 * Comparing reads the commit's whole tree (a third of a second on a 34,000-file root), so it is
 * skipped while the index is one known to match the commit: recorded here, by the index's
 * checksum and the commit, when a comparison found no difference or when sync wrote an index
 * that followed one that matched. Any index git wrote since has another checksum.
 */
const RECORD = 'index-matches.json';

interface IndexRecord {
  /** GitIndex.checksum of an index whose entries are the files of `head`'s tree */
  checksum: string;
  head: string;
}

const recordFile = (gitdir: string) => path.join(stateDir(gitdir), RECORD);

function readRecord(gitdir: string): IndexRecord | null {
  try {
    return JSON.parse(readFileSync(recordFile(gitdir), 'utf8')) as IndexRecord;
  } catch {
    return null;
  }
}

/** A record that cannot be written only means one more comparison next time. */
async function writeRecord(gitdir: string, record: IndexRecord): Promise<void> {
  await writeFileAtomic(recordFile(gitdir), JSON.stringify(record), { durable: false }).catch(() => undefined);
}

/** Whether `index` is known to hold exactly the files of `head`. */
export function indexKnownToMatch(gitdir: string, index: GitIndex, head: string | null): boolean {
  const record = readRecord(gitdir);
  return !!record && !!head && !!index.checksum && record.checksum === index.checksum && record.head === head;
}

export interface StagedByGit {
  path: string;
  /** 'untracked': the commit has the path and the index does not (`git rm --cached`) */
  kind: Exclude<ChangeKind, 'deleted'> | 'untracked';
  /** for 'untracked': what the commit holds there */
  committed?: { oid: string; mode: number };
}

/**
 * Paths whose index entry is not the commit's: added or modified, as git's `diff --cached` names
 * them, and those the commit has and the index does not. (A path removed with `git rm --cached`
 * is left to the working tree: the file there, if any, is compared as usual.)
 */
export async function stagedByGit(repo: GitRepository, branchRef: string, index: LoadedIndex): Promise<StagedByGit[]> {
  // An index rebuilt from the commit holds the commit's files.
  if (index.rebuiltBecause) return [];
  const head = await repo.resolveRef(branchRef);
  if (indexKnownToMatch(repo.gitdir, index, head)) return [];
  const committed = new Map<string, { oid: string; mode: number }>();
  if (head) {
    for (const file of await diffTrees(repo, null, (await repo.readCommit(head)).tree, '', { gitlinks: true })) {
      committed.set(file.path, { oid: file.after!, mode: Number.parseInt(file.afterMode!, 8) });
    }
  }
  const staged: StagedByGit[] = [];
  for (const [relative, entry] of index.entries) {
    if (entry.intentToAdd) continue;
    const inCommit = committed.get(relative);
    if (!inCommit) staged.push({ path: relative, kind: 'added' });
    else if (inCommit.oid !== entry.oid || inCommit.mode !== entry.mode) staged.push({ path: relative, kind: 'modified' });
  }
  for (const [relative, inCommit] of committed) if (!index.entries.has(relative)) staged.push({ path: relative, kind: 'untracked', committed: inCommit });
  if (head && index.checksum && staged.length === 0) await writeRecord(repo.gitdir, { checksum: index.checksum, head });
  return staged;
}

/**
 * After sync wrote an index: when the one it replaced was known to match `headBefore`, the new
 * one (with the changes sync made to both) matches `headAfter`. An empty index before the first
 * commit matches that empty history: a root's first commit, or its first checkout, is known to
 * match without the next sync comparing every file.
 */
export async function carryIndexRecord(
  gitdir: string,
  replaced: GitIndex,
  headBefore: string | null,
  written: string,
  headAfter: string | null,
): Promise<void> {
  const fromNothing = headBefore === null && replaced.entries.size === 0 && replaced.unmerged.length === 0;
  if (headAfter && (fromNothing || indexKnownToMatch(gitdir, replaced, headBefore))) await writeRecord(gitdir, { checksum: written, head: headAfter });
}
