import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Where the built dashboard (`@planalign/sync-ui`) is, when it is installed beside the API.
 * The API does not depend on it: without it, only `/api` is served.
 */
export function findDashboard(): string | null {
  try {
    const manifest = createRequire(import.meta.url).resolve('@planalign/sync-ui/package.json');
    const dist = path.join(path.dirname(manifest), 'dist');
    return existsSync(path.join(dist, 'index.html')) ? dist : null;
  } catch {
    return null;
  }
}
