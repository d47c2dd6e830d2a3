import { DOCTOR_CHECKS, DoctorReport, type DoctorCheck, type DoctorFinding } from '../models/doctor.js';
import { checkDiskSpace } from './doctor/disk-space.js';
import { checkLastSync } from './doctor/last-sync.js';
import { checkObjects } from './doctor/objects.js';
import { checkRemotes } from './doctor/remotes.js';
import { checkRootLock } from './doctor/root-lock.js';
import { checkSetup } from './doctor/setup.js';
import { checkIndex, checkPendingCheckout, checkSkippedFiles } from './doctor/working-tree.js';

export interface DoctorOptions {
  /** remove the lock when it is stale: the one change doctor makes, and only when asked */
  removeStaleLock?: boolean;
  /** this computer's clock (tests skew it); default Date.now */
  now?: () => number;
}

/**
 * Checks what makes a sync fail, and says for each what was found and what to do about it (as
 * data: see models/next-step.ts). Works on a root where sync is not set up (that is the
 * finding) and changes nothing: no lock is taken, no file, ref, index or cache is written, the
 * remotes are only asked for their refs, and the credential helper is not told whether its
 * credentials worked. A check that cannot run says so instead of stopping the others.
 */
export async function diagnoseRoot(root: string, options: DoctorOptions = {}): Promise<DoctorReport> {
  const now = options.now ?? Date.now;
  const findings: DoctorFinding[] = [];
  const run = async (check: DoctorCheck, work: () => Promise<DoctorFinding | DoctorFinding[]>) => {
    try {
      const found = await work();
      findings.push(...(Array.isArray(found) ? found : [found]));
    } catch (error) {
      findings.push({ check, status: 'warning', summary: `This could not be checked: ${(error as Error).message}` });
    }
  };
  const { finding: setup, repo, context } = await checkSetup(root);
  findings.push(setup);
  let repositoryBytes = 0;
  if (context) await run('remote', () => checkRemotes(context, now));
  if (repo) {
    await run('lock', () => checkRootLock(repo.gitdir, now, options.removeStaleLock ?? false));
    await run('checkout', () => checkPendingCheckout(repo, now));
    await run('index', () => checkIndex(repo, now));
    await run('objects', async () => {
      const { objects, size, repositoryBytes: bytes } = await checkObjects(repo);
      repositoryBytes = bytes;
      return [objects, size];
    });
  }
  await run('disk_space', () => checkDiskSpace(root, repositoryBytes));
  if (context) await run('skipped_files', () => checkSkippedFiles(context));
  if (repo) await run('last_sync', () => checkLastSync(repo.gitdir, now));
  const order = (finding: DoctorFinding) => DOCTOR_CHECKS.indexOf(finding.check);
  findings.sort((a, b) => order(a) - order(b));
  return DoctorReport.parse({
    healthy: findings.every((finding) => finding.status === 'ok' || finding.status === 'skipped'),
    checked_at: new Date(now()).toISOString(),
    findings,
  });
}
