import path from 'node:path';

/**
 * Where this machine keeps what is its own: inside `.git/`, so it is never pushed (the sync
 * journal, the lock, the branch each workspace shows, the rebuild queue, notices).
 */
export function stateDir(gitdir: string): string {
  return path.join(gitdir, 'planalign-sync');
}
