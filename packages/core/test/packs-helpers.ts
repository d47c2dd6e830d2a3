import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp, readdirSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { entryTypeAndSize } from '../src/git/pack-writer.js';

/** Native git, the reference: throws with its stderr when it fails. */
export function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/** Native git with bytes in and out, and its exit status (for the cases it must refuse). */
export function gitRaw(cwd: string, args: string[], input?: Buffer): { status: number; stdout: Buffer; stderr: string } {
  const result = spawnSync('git', args, { cwd, input });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}

export async function tempFolder(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), `planalign-${prefix}-`));
}

/**
 * A repository with `commits` commits of a few similar JSON and YAML files; with `packEach`,
 * each commit's new objects go into a pack of their own, as one fetch each would leave them.
 */
export async function repoWithCommits(commits: number, options: { packEach?: boolean } = {}): Promise<string> {
  const root = await tempFolder('packs');
  git(root, 'init', '-q', '-b', 'main');
  const lines = (n: number) => Array.from({ length: 200 }, (_, i) => `key_${i}: ${i === n % 200 ? `changed ${n}` : 'same'}`).join('\n');
  for (let i = 0; i < commits; i += 1) {
    await fsp.mkdir(path.join(root, `ws-${i % 3}`), { recursive: true });
    await fsp.writeFile(path.join(root, `ws-${i % 3}`, 'config.yaml'), lines(i));
    await fsp.writeFile(path.join(root, `ws-${i % 3}`, `run-${i}.json`), JSON.stringify({ run: i }));
    git(root, 'add', '-A');
    // No automatic gc from native git here: the tests decide when packs are consolidated.
    git(root, '-c', 'gc.auto=0', 'commit', '-q', '-m', `commit ${i}`);
    if (options.packEach) git(root, 'repack', '-q', '-d');
  }
  return root;
}

/** Every object native git sees, with its type. */
export function allObjects(root: string): { oid: string; type: string }[] {
  return git(root, 'cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype)')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [oid, type] = line.split(' ');
      return { oid, type };
    });
}

export function nativeContent(root: string, oid: string): Buffer {
  const type = git(root, 'cat-file', '-t', oid);
  return spawnSync('git', ['cat-file', type, oid], { cwd: root }).stdout;
}

/** Pack files of a root that a process still holds open although they were deleted (Linux's /proc). */
export function deletedPacksHeldOpen(root: string, pid: number | 'self' = 'self'): string[] {
  const folder = `/proc/${pid}/fd`;
  const held: string[] = [];
  for (const fd of readdirSync(folder)) {
    try {
      const target = readlinkSync(path.join(folder, fd));
      if (target.startsWith(root) && /\.pack \(deleted\)$/.test(target)) held.push(target);
    } catch {
      // closed while listing
    }
  }
  return held;
}

export async function packNames(root: string): Promise<string[]> {
  return (await fsp.readdir(path.join(root, '.git', 'objects', 'pack'))).filter((n) => n.endsWith('.pack')).sort();
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- crafted packs ---------------------------------------------------------------------

const TYPE_CODE = { commit: 1, tree: 2, blob: 3, tag: 4 } as const;

/** A whole object's pack entry; `announced` overrides the size its header gives. */
export function wholeEntry(type: keyof typeof TYPE_CODE, content: Buffer, announced = content.length): Buffer {
  return Buffer.concat([entryTypeAndSize(TYPE_CODE[type], announced), deflateSync(content)]);
}

/** A reference delta's pack entry. */
export function refDeltaEntry(baseOid: string, delta: Buffer): Buffer {
  return Buffer.concat([entryTypeAndSize(7, delta.length), Buffer.from(baseOid, 'hex'), deflateSync(delta)]);
}

/** A pack of these entries; `count` overrides the number its header announces. */
export function packOf(entries: Buffer[], count = entries.length): Buffer {
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(count, 8);
  const body = Buffer.concat([header, ...entries]);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

/** Git's delta encoding, instruction by instruction. */
export const delta = {
  size(n: number): Buffer {
    const bytes: number[] = [];
    do {
      let byte = n & 0x7f;
      n = Math.floor(n / 128);
      if (n > 0) byte |= 0x80;
      bytes.push(byte);
    } while (n > 0);
    return Buffer.from(bytes);
  },
  insert(text: string): Buffer {
    return Buffer.concat([Buffer.from([text.length]), Buffer.from(text)]);
  },
  copy(offset: number, size: number): Buffer {
    // One byte each for offset and size is enough for these tests.
    return Buffer.from([0x80 | 0x01 | 0x10, offset, size]);
  },
  of(baseSize: number, resultSize: number, ...ops: Buffer[]): Buffer {
    return Buffer.concat([delta.size(baseSize), delta.size(resultSize), ...ops]);
  },
};

export function blobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/**
 * A minimal smart-HTTP upload-pack server with one branch at `head`, answering every fetch
 * with `pack` (whatever its bytes), and keeping the request bodies it received.
 */
export async function servePack(
  head: string,
  pack: () => Buffer,
  capabilities = 'side-band-64k ofs-delta thin-pack',
): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const pkt = (text: string) => `${(text.length + 4).toString(16).padStart(4, '0')}${text}`;
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method === 'GET' && request.url?.includes('info/refs')) {
        response.setHeader('Content-Type', 'application/x-git-upload-pack-advertisement');
        response.end(`${pkt('# service=git-upload-pack\n')}0000${pkt(`${head} refs/heads/main\0${capabilities}\n`)}0000`);
        return;
      }
      requests.push(Buffer.concat(chunks).toString('latin1'));
      response.setHeader('Content-Type', 'application/x-git-upload-pack-result');
      // The pack in band 1 of side-band-64k, as every Git host sends it.
      const bytes = pack();
      const frames: Buffer[] = [Buffer.from(pkt('NAK\n'))];
      for (let at = 0; at < bytes.length; at += 65515) {
        const part = bytes.subarray(at, at + 65515);
        frames.push(Buffer.from((part.length + 5).toString(16).padStart(4, '0')), Buffer.from([1]), part);
      }
      frames.push(Buffer.from('0000'));
      response.end(Buffer.concat(frames));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/repo.git`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
