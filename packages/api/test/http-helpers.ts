import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SyncService } from '@planalign/sync-core';
import { startGitServer } from '@planalign/git-test-server/git-server';
import { generateWorkspaces, PRESETS } from '@planalign/sync-tools/workspace-generator';

export const tempRoot = async (name: string) => path.join(await fsp.mkdtemp(path.join(os.tmpdir(), `planalign-api-${name}-`)), 'workspaces');

export async function call(base: string, method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Collects server-sent events until `finished` or `failed`. */
export async function collectEvents(base: string): Promise<{ ready: Promise<void>; done: Promise<{ type: string; phase?: string }[]> }> {
  const response = await fetch(`${base}/api/sync/events`);
  const reader = response.body!.getReader();
  const events: { type: string; phase?: string }[] = [];
  let buffer = '';
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const done = (async () => {
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) return events;
      buffer += Buffer.from(value).toString('utf8');
      let split: number;
      while ((split = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, split);
        buffer = buffer.slice(split + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (!data) continue;
        const event = JSON.parse(data.slice(6));
        if (block.startsWith('event: hello')) markReady();
        else events.push(event);
        if (event.type === 'finished' || event.type === 'failed') {
          await reader.cancel();
          return events;
        }
      }
    }
  })();
  return { ready, done };
}

/** A remote, machine A with generated workspaces pushed to it, and machine B set up from it. */
export async function syncedPair(name: string) {
  const git = await startGitServer();
  const url = await git.createRepo(name, { defaultBranch: 'main' });
  const machineA = await tempRoot(`${name}-a`);
  const machineB = await tempRoot(`${name}-b`);
  const generated = await generateWorkspaces({ root: machineA, ...PRESETS.demo });
  await new SyncService(machineA).init({ remote: url });
  await new SyncService(machineA).push();
  await new SyncService(machineB).init({ remote: url });
  return { git, url, machineA, machineB, generated };
}
