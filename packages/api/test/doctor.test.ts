import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoctorReport } from '@planalign/sync-core';
import type { GitServer } from '@planalign/git-test-server/git-server';
import { startApiServer } from '../src/server.js';
import { call, syncedPair, tempRoot } from './http-helpers.js';

/** A GET naming the server by `host` in its Host header, as a page after DNS rebinding would. */
function getAs(base: string, host: string, route: string): Promise<number> {
  const target = new URL(route, base);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'GET', setHost: false, headers: { Host: host } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode!));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe('GET /api/sync/doctor', () => {
  let git: GitServer;
  let root: string;
  let api: Awaited<ReturnType<typeof startApiServer>>;

  beforeAll(async () => {
    const pair = await syncedPair('doctor');
    git = pair.git;
    root = pair.machineB;
    api = await startApiServer({ root, pullOnStart: false });
  });

  afterAll(async () => {
    await api?.close();
    await git?.stop();
  });

  it('answers the doctor report of the root, every check ok on a synced one', async () => {
    const answer = await call(api.url, 'GET', '/api/sync/doctor');
    expect(answer.status).toBe(200);
    const report = DoctorReport.parse(answer.body);
    expect(report.findings.filter((finding) => finding.status !== 'ok' && finding.status !== 'skipped')).toEqual([]);
    expect(report.healthy).toBe(true);
    expect(report.findings.find((finding) => finding.check === 'credentials')?.status).toBe('ok');
  });

  it('reports a stale lock with its next step as data, and leaves the lock where it is', async () => {
    const lock = path.join(root, '.git', 'planalign-sync', 'sync.lock');
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => child.on('close', resolve));
    await fsp.writeFile(lock, JSON.stringify({ pid: child.pid, host: os.hostname(), operation: 'pull', started_at: new Date().toISOString() }));
    const answer = await call(api.url, 'GET', '/api/sync/doctor');
    expect(answer.status).toBe(200);
    expect(answer.body.healthy).toBe(false);
    const finding = answer.body.findings.find((found: { check: string }) => found.check === 'lock');
    expect(finding).toMatchObject({ status: 'warning', next: { action: 'remove_stale_lock' } });
    // Core's sentence says what happened; the words for what to do are each front end's own.
    expect(finding.summary).not.toMatch(/planalign sync|--fix-lock/);
    expect(existsSync(lock)).toBe(true);
    await fsp.rm(lock);
  });

  it('answers a root without sync with that finding, not an error', async () => {
    const bare = await tempRoot('doctor-none');
    const other = await startApiServer({ root: bare, pullOnStart: false });
    try {
      const answer = await call(other.url, 'GET', '/api/sync/doctor');
      expect(answer.status).toBe(200);
      expect(answer.body.findings[0]).toMatchObject({ check: 'setup', status: 'problem', next: { action: 'set_up_sync' } });
    } finally {
      await other.close();
    }
  });

  it('is described in the OpenAPI document by its model', async () => {
    const doc = await call(api.url, 'GET', '/api/openapi.json');
    expect(doc.body.paths['/api/sync/doctor'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/DoctorReport' });
    const schema = doc.body.components.schemas.DoctorReport;
    expect(schema.properties.findings.items.properties.check.enum).toContain('clock');
    expect(schema.properties.findings.items.properties.next.properties.action.enum).toContain('update_token');
  });

  it('follows the rules of every route: the token when the server has one, and a Host it knows', async () => {
    const guarded = await startApiServer({ root, token: 'doctor-api-token', pullOnStart: false });
    try {
      expect((await call(guarded.url, 'GET', '/api/sync/doctor')).status).toBe(401);
      expect((await call(guarded.url, 'GET', '/api/sync/doctor', undefined, { Authorization: 'Bearer other' })).status).toBe(403);
      expect((await call(guarded.url, 'GET', '/api/sync/doctor', undefined, { Authorization: 'Bearer doctor-api-token' })).status).toBe(200);
    } finally {
      await guarded.close();
    }
    expect(await getAs(api.url, 'attacker.example', '/api/sync/doctor')).toBe(403);
    expect(await getAs(api.url, `localhost:${new URL(api.url).port}`, '/api/sync/doctor')).toBe(200);
  });
});
