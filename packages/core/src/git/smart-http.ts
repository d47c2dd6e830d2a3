import { SyncNetworkError } from '../errors.js';
import { credentialsFromEnvironment, credentialsFromHelper, reportToHelper, type Credentials } from './credentials.js';
import { RemoteHttpError, translateRemoteError } from './error-translation.js';
import { redactUrl } from './remote-url.js';

/**
 * Git's smart-HTTP protocol (version 0), as much as sync needs: list the remote's refs,
 * download one pack (upload-pack), send a ref update with one pack (receive-pack).
 * Written here because isomorphic-git's push re-reads every object of both histories to decide
 * what to send and its fetch takes seconds to receive a pack of a large root; here the caller
 * decides what to send from a tree diff, and received packs are indexed in one pass.
 */
const USER_AGENT = 'git/planalign-sync';

export function pktLine(text: string | Buffer): Buffer {
  const payload = typeof text === 'string' ? Buffer.from(text) : text;
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, '0')), payload]);
}

export const FLUSH = Buffer.from('0000');

/** Splits a pkt-line stream; a flush packet is returned as null. */
export function parsePktLines(buffer: Buffer): (Buffer | null)[] {
  const lines: (Buffer | null)[] = [];
  let offset = 0;
  while (offset + 4 <= buffer.length) {
    const length = Number.parseInt(buffer.toString('latin1', offset, offset + 4), 16);
    if (Number.isNaN(length)) throw new Error('malformed pkt-line from the remote');
    if (length === 0 || length === 1 || length === 2) {
      lines.push(null);
      offset += 4;
      continue;
    }
    lines.push(buffer.subarray(offset + 4, offset + length));
    offset += length;
  }
  return lines;
}

/** Sends requests with the user's credentials: a token from the environment up front, else the credential helper after a 401. */
class AuthorizedClient {
  private credentials: Credentials | null = credentialsFromEnvironment();
  private askedHelper = false;

  constructor(private readonly url: string) {}

  private header(): Record<string, string> {
    if (!this.credentials) return {};
    return { Authorization: `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}` };
  }

  async request(target: string, init: { method: string; headers?: Record<string, string>; body?: Buffer | ReadableStream<Uint8Array> }): Promise<Buffer> {
    for (;;) {
      const stall = new StallGuard(this.url);
      const streamed = init.body instanceof ReadableStream ? init.body : null;
      let response: Response;
      try {
        response = await fetch(target, {
          method: init.method,
          headers: { 'User-Agent': USER_AGENT, ...init.headers, ...this.header() },
          // A remote taking in an upload is answering, however long the upload lasts.
          body: streamed ? streamed.pipeThrough(stall.progressCounter()) : init.body,
          ...(streamed ? { duplex: 'half' as const } : {}),
          signal: stall.signal,
        });
      } catch (error) {
        stall.stop();
        throw stall.error ?? translateRemoteError(error, this.url);
      }
      // A streamed body is gone once sent; discovery, which always comes first, asks the helper.
      if (response.status === 401 && !this.credentials && !this.askedHelper && !streamed) {
        this.askedHelper = true;
        this.credentials = await credentialsFromHelper(this.url);
        if (this.credentials) continue;
      }
      if (response.status === 401 && this.credentials) await reportToHelper(this.url, this.credentials, false);
      if (!response.ok) {
        stall.stop();
        await response.body?.cancel().catch(() => undefined);
        throw translateRemoteError(new RemoteHttpError(response.status), this.url);
      }
      if (this.credentials) await reportToHelper(this.url, this.credentials, true);
      return stall.readBody(response);
    }
  }
}

/**
 * Gives up on a remote that stops sending: a slow link is fine as long as bytes keep coming,
 * but one silent for `PLANALIGN_SYNC_STALL_TIMEOUT_MS` (default 60 s) is reported as a
 * network error instead of hanging an auto-sync forever.
 */
class StallGuard {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  error: SyncNetworkError | null = null;
  private readonly limitMs = stallTimeoutMs();

  constructor(private readonly url: string) {
    this.restart();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private restart(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.error = new SyncNetworkError(`The remote ${redactUrl(this.url)} stopped answering for ${(this.limitMs / 1000).toFixed(this.limitMs < 10_000 ? 1 : 0)} s. Nothing was changed here; try again later.`);
      this.controller.abort(this.error);
    }, this.limitMs);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** Passes an upload through, counting each chunk the remote takes as a sign of life. */
  progressCounter(): TransformStream<Uint8Array, Uint8Array> {
    return new TransformStream({
      transform: (chunk, controller) => {
        this.restart();
        controller.enqueue(chunk);
      },
    });
  }

  async readBody(response: Response): Promise<Buffer> {
    const chunks: Buffer[] = [];
    try {
      if (response.body) {
        const reader = response.body.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          this.restart();
          chunks.push(Buffer.from(value));
        }
      }
    } catch (error) {
      throw this.error ?? translateRemoteError(error, this.url);
    } finally {
      this.stop();
    }
    return Buffer.concat(chunks);
  }
}

function stallTimeoutMs(): number {
  const configured = Number(process.env.PLANALIGN_SYNC_STALL_TIMEOUT_MS);
  return Number.isFinite(configured) && configured > 0 ? configured : 60_000;
}

export interface RefAdvertisement {
  refs: Map<string, string>;
  capabilities: Set<string>;
}

export interface ReceivePackSession {
  advertisement: RefAdvertisement;
  /** Updates one ref with a pack (produced while it uploads); resolves to null on success or the remote's reason for refusing. */
  update(ref: string, oldOid: string, newOid: string, pack: AsyncIterable<Buffer>): Promise<string | null>;
}

/** Requests up to this size are sent whole with a Content-Length; larger ones are streamed, as git does past `http.postBuffer`. */
const POST_BUFFER_BYTES = 1 << 20;

/**
 * The request body: one buffer when it is small, else a stream that starts with what was
 * already read and pulls the rest as the remote takes it. An error from `rest` itself (a
 * damaged object, say) is kept so it is reported as what it is, not as a network failure.
 */
async function bufferOrStream(head: Buffer, rest: AsyncIterable<Buffer>): Promise<{ body: Buffer | ReadableStream<Uint8Array>; sourceError: () => unknown }> {
  const iterator = rest[Symbol.asyncIterator]();
  const gathered = [head];
  let size = head.length;
  let failure: unknown;
  while (size <= POST_BUFFER_BYTES) {
    const next = await iterator.next();
    if (next.done) return { body: Buffer.concat(gathered), sourceError: () => undefined };
    gathered.push(next.value);
    size += next.value.length;
  }
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const ready = gathered.shift();
      if (ready) {
        controller.enqueue(ready);
        return;
      }
      try {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (error) {
        failure = error;
        throw error;
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  return { body, sourceError: () => failure };
}

/** Reads a service's ref advertisement (`info/refs`). */
async function discover(client: AuthorizedClient, url: string, service: 'git-upload-pack' | 'git-receive-pack'): Promise<RefAdvertisement> {
  const body = await client.request(`${url.replace(/\/+$/, '')}/info/refs?service=${service}`, { method: 'GET' });
  const refs = new Map<string, string>();
  let capabilities = new Set<string>();
  let sawService = false;
  for (const line of parsePktLines(body)) {
    if (line === null) continue;
    const text = line.toString('utf8').replace(/\n$/, '');
    if (text.startsWith('# service=')) {
      sawService = true;
      continue;
    }
    const [refPart, caps] = text.split('\0');
    if (caps !== undefined) capabilities = new Set(caps.split(' ').filter(Boolean));
    const [oid, name] = refPart.split(' ');
    if (name && name !== 'capabilities^{}') refs.set(name, oid);
  }
  if (!sawService) {
    throw translateRemoteError(Object.assign(new Error('not a smart-HTTP Git server'), { code: 'SmartHttpError' }), url);
  }
  return { refs, capabilities };
}

/** Where the remote's branches are, from one small request. */
export async function listRemoteRefs(url: string): Promise<Map<string, string>> {
  return (await discover(new AuthorizedClient(url), url, 'git-upload-pack')).refs;
}

/**
 * Downloads one pack holding `wants` and whatever they need that `haves` do not already
 * cover. Returns null when the remote had nothing to send.
 */
export async function fetchPack(url: string, wants: string[], haves: string[]): Promise<Buffer | null> {
  const client = new AuthorizedClient(url);
  const { capabilities } = await discover(client, url, 'git-upload-pack');
  const wanted = ['side-band-64k', 'ofs-delta', 'no-progress', 'agent=planalign-sync'].filter((c) => c.startsWith('agent=') || capabilities.has(c));
  const lines = wants.map((oid, i) => pktLine(i === 0 ? `want ${oid} ${wanted.join(' ')}\n` : `want ${oid}\n`));
  const request = Buffer.concat([...lines, FLUSH, ...haves.map((oid) => pktLine(`have ${oid}\n`)), pktLine('done\n')]);
  const response = await client.request(`${url.replace(/\/+$/, '')}/git-upload-pack`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-git-upload-pack-request', Accept: 'application/x-git-upload-pack-result' },
    body: request,
  });
  const sideBand = wanted.includes('side-band-64k');
  const chunks: Buffer[] = [];
  let offset = 0;
  // "NAK" / "ACK <id>" lines come first, then the pack (in band 1 when side-band is on).
  while (offset + 4 <= response.length) {
    const length = Number.parseInt(response.toString('latin1', offset, offset + 4), 16);
    if (Number.isNaN(length)) break;
    if (length === 0) {
      offset += 4;
      continue;
    }
    const payload = response.subarray(offset + 4, offset + length);
    const text = payload.subarray(0, 4).toString('latin1');
    if (text === 'NAK\n' || text.startsWith('ACK ')) {
      offset += length;
      continue;
    }
    if (!sideBand) {
      chunks.push(response.subarray(offset));
      break;
    }
    if (payload[0] === 1) chunks.push(payload.subarray(1));
    else if (payload[0] === 3) throw translateRemoteError(new Error(payload.subarray(1).toString('utf8').trim()), url);
    offset += length;
  }
  const pack = Buffer.concat(chunks);
  return pack.length > 0 ? pack : null;
}

export async function openReceivePack(url: string): Promise<ReceivePackSession> {
  const client = new AuthorizedClient(url);
  const base = url.replace(/\/+$/, '');
  const { refs, capabilities } = await discover(client, url, 'git-receive-pack');
  return {
    advertisement: { refs, capabilities },
    async update(ref, oldOid, newOid, pack) {
      const deleting = /^0+$/.test(newOid);
      const wanted = ['report-status', 'side-band-64k', ...(deleting ? ['delete-refs'] : []), 'agent=planalign-sync'].filter((c) => c.startsWith('agent=') || capabilities.has(c));
      const command = pktLine(`${oldOid} ${newOid} ${ref}\0${wanted.join(' ')}\n`);
      const { body, sourceError } = await bufferOrStream(Buffer.concat([command, FLUSH]), pack);
      let response: Buffer;
      try {
        response = await client.request(`${base}/git-receive-pack`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-git-receive-pack-request', Accept: 'application/x-git-receive-pack-result' },
          body,
        });
      } catch (error) {
        throw sourceError() ?? error;
      }
      return parseReportStatus(response, wanted.includes('side-band-64k'), ref);
    },
  };
}

/** Reads `unpack ok` / `ok <ref>` / `ng <ref> <reason>` from the remote's answer. */
function parseReportStatus(response: Buffer, sideBand: boolean, ref: string): string | null {
  let report = response;
  if (sideBand) {
    const data: Buffer[] = [];
    for (const line of parsePktLines(response)) {
      if (line === null || line.length === 0) continue;
      if (line[0] === 1) data.push(line.subarray(1));
      else if (line[0] === 3) return line.subarray(1).toString('utf8').trim() || 'remote error';
    }
    report = Buffer.concat(data);
  }
  let unpack: string | null = null;
  for (const line of parsePktLines(report)) {
    if (line === null) continue;
    const text = line.toString('utf8').trim();
    if (text.startsWith('unpack ')) unpack = text.slice(7);
    else if (text.startsWith(`ok ${ref}`)) return unpack === 'ok' ? null : `unpack failed: ${unpack}`;
    else if (text.startsWith(`ng ${ref}`)) return text.slice(`ng ${ref}`.length).trim() || 'rejected';
  }
  if (unpack && unpack !== 'ok') return `unpack failed: ${unpack}`;
  throw new SyncNetworkError('The remote did not report the result of the push. Your work is committed here; push again.');
}
