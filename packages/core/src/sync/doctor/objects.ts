import { checkReachableObjects, objectStoreBytes } from '../../git/object-check.js';
import type { GitRepository } from '../../git/repository.js';
import type { DoctorFinding } from '../../models/doctor.js';
import { plural } from '../../util/plural.js';
import { formatBytes } from './wording.js';

const MB = 1024 * 1024;
/** GitHub refuses a file over 100 MB and warns over 50 MB; it asks that a repository stay under about 1 GB. */
const FILE_REFUSED_BYTES = 100 * MB;
const FILE_WARNED_BYTES = 50 * MB;
const REPOSITORY_WARNED_BYTES = 1024 * MB;

export interface ObjectFindings {
  objects: DoctorFinding;
  size: DoctorFinding;
  /** what the object store takes on disk, for the disk space check */
  repositoryBytes: number;
}

/**
 * Reads every object reachable from every ref (branches, remote-tracking refs, tags, a
 * detached HEAD) as `git fsck --full` does, and weighs the repository and its largest file
 * against what Git hosts accept. Nothing is written.
 */
export async function checkObjects(repo: GitRepository): Promise<ObjectFindings> {
  const tips = await repo.listRefs('refs');
  const head = await repo.resolveRef('HEAD');
  if (head && ![...tips.values()].includes(head)) tips.set('HEAD', head);
  const [check, repositoryBytes] = await Promise.all([checkReachableObjects(repo, tips), objectStoreBytes(repo.gitdir)]);
  const objects: DoctorFinding =
    check.damaged > 0
      ? {
          check: 'objects',
          status: 'problem',
          summary:
            `${plural(check.damaged, 'object')} of the repository on this computer ${check.damaged === 1 ? 'is' : 'are'} missing or damaged: ` +
            'a sync that needs one fails.',
          detail: `${check.damage.join('\n')}\nYour workspace files are not affected; 'git fsck --full' in the root lists the damage as git sees it.`,
          paths: check.damage,
          next: { action: 'repair_repository' },
        }
      : tips.size === 0
        ? { check: 'objects', status: 'ok', summary: 'The repository has no commits yet.' }
        : {
            check: 'objects',
            status: 'ok',
            summary: `Every object reachable from the ${plural(tips.size, 'ref')} reads back whole (${plural(check.objects, 'object')}).`,
          };
  return { objects, size: sizeFinding(repositoryBytes, check.largestBlob), repositoryBytes };
}

function sizeFinding(bytes: number, largest: { path: string; bytes: number } | null): DoctorFinding {
  const measures = { bytes, ...(largest ? { largest_file_bytes: largest.bytes, paths: [largest.path] } : {}) };
  const largestText = largest ? `; its largest file is ${formatBytes(largest.bytes)} (${largest.path})` : '';
  if (largest && largest.bytes > FILE_REFUSED_BYTES) {
    return {
      check: 'repository_size',
      status: 'problem',
      summary: `The history holds ${largest.path}, ${formatBytes(largest.bytes)}: GitHub refuses files over 100 MB (other hosts set their own limits).`,
      next: { action: 'shrink_repository' },
      ...measures,
    };
  }
  if (largest && largest.bytes > FILE_WARNED_BYTES) {
    return {
      check: 'repository_size',
      status: 'warning',
      summary: `The history holds ${largest.path}, ${formatBytes(largest.bytes)}: GitHub warns about files over 50 MB and refuses them over 100 MB.`,
      next: { action: 'shrink_repository' },
      ...measures,
    };
  }
  if (bytes > REPOSITORY_WARNED_BYTES) {
    return {
      check: 'repository_size',
      status: 'warning',
      summary: `The repository takes ${formatBytes(bytes)} on this computer${largestText}: GitHub asks that repositories stay under about 1 GB.`,
      next: { action: 'shrink_repository' },
      ...measures,
    };
  }
  return { check: 'repository_size', status: 'ok', summary: `The repository takes ${formatBytes(bytes)} on this computer${largestText}.`, ...measures };
}
