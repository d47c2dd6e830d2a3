import { SyncConfigError, SyncError, SyncNetworkError } from '../errors.js';
import { credentialsFromEnvironment, credentialsFromHelper, reportToHelper, type Credentials } from './credentials.js';
import { credentialsFromFile } from './token-store.js';
import { RemoteHttpError, translateRemoteError, type ProxyUsed } from './error-translation.js';
import { sendHttpRequest, type HttpResponse } from './http-client.js';
import { resolveNetworkSettings, type NetworkSettings } from './network-settings.js';
import { errLineText, FLUSH, MalformedWireError, parsePktLines, pktLine, readPktLine, sanitizeRemoteText } from './pkt-line.js';
import { redactUrl } from '../models/remote-url.js';

/**
 * Git's smart-HTTP protocol (version 0), as much as sync needs: list the remote's refs,
 * download one pack (upload-pack), send a ref update with one pack (receive-pack).
 * Written here because isomorphic-git's push re-reads every object of both histories to decide
 * what to send and its fetch takes seconds to receive a pack of a large root; here the caller
 * decides what to send from a tree diff, and received packs are indexed in one pass.
 */
const USER_AGENT = 'git/planalign-sync';
const AGENT_CAPABILITY = 'agent=planalign-sync';
/** As many redirects of the first request as curl lets git follow, and some margin below it. */
const MAX_REDIRECTS = 10;

export interface TransportOptions {
  /** the repository whose git settings apply (its .git/config besides the user's), if any */
  cwd?: string;
  /**
   * false: the credential helper is asked for credentials but not told whether they worked (a
   * look that must change nothing, even the helper's store); default true, as git does
   */
  reportToHelper?: boolean;
}

/**
 * One operation opens several connections (refs, fetch, push); their settings are read once.
 * They are read again after a few seconds, so a long-running server sees a changed git config.
 */
const SETTINGS_TTL_MS = 5_000;
const settingsCache = new Map<string, { at: number; settings: Promise<NetworkSettings> }>();

function recentSettings(url: string, cwd: string | undefined): Promise<NetworkSettings> {
  const key = `${cwd ?? ''}\0${url}`;
  const cached = settingsCache.get(key);
  if (cached && Date.now() - cached.at < SETTINGS_TTL_MS) return cached.settings;
  const settings = resolveNetworkSettings(url, { cwd });
  settingsCache.set(key, { at: Date.now(), settings });
  // A failure (a missing certificate file) is reported each time, not remembered.
  settings.catch(() => settingsCache.delete(key));
  return settings;
}

const proxyUsed = (settings: NetworkSettings): ProxyUsed | null =>
  settings.proxy ? { url: settings.proxy, source: settings.proxySource ?? 'the proxy setting' } : null;

/** The address a request goes to: without the user name, which only names the credentials. */
function requestBase(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  return parsed.href.replace(/\/+$/, '');
}

/**
 * One conversation with a remote: credentials (a token from the environment, else the one saved
 * in sync's token file, up front; else the credential helper after a 401: see token-store.ts),
 * the network settings, and the base URL, which a redirect of the first request may move (git's
 * default `http.followRedirects=initial`). Credentials given to the constructor are the only
 * ones tried, and no helper is told about them.
 */
class RemoteConnection {
  private base: string;
  private readonly original: URL;
  private credentials: Credentials | null;
  private credentialsUrl: string;
  private askedHelper = false;
  private approved = false;
  private lookedInFile = false;
  private readonly settings = new Map<string, Promise<NetworkSettings>>();

  constructor(
    readonly url: string,
    private readonly options: TransportOptions,
    given?: Credentials,
  ) {
    this.original = new URL(url);
    this.base = requestBase(url);
    this.credentials = given ?? credentialsFromEnvironment(url);
    if (given) this.askedHelper = this.lookedInFile = true;
    this.credentialsUrl = url;
  }

  private settingsFor(target: string): Promise<NetworkSettings> {
    const parsed = new URL(target);
    // Settings are matched against the remote's URL (user name included), as git matches http.<url>.*.
    const matchUrl = parsed.host === this.original.host ? this.url : `${parsed.origin}${parsed.pathname}`;
    let settings = this.settings.get(matchUrl);
    if (!settings) {
      settings = recentSettings(matchUrl, this.options.cwd);
      this.settings.set(matchUrl, settings);
    }
    return settings;
  }

  /** Credentials go only to the host they are for (an http → https upgrade of it included). */
  private authorizationFor(target: string, settings: NetworkSettings): Record<string, string> {
    if (!this.credentials) return {};
    if (settings.extraHeaders.some(([name]) => name.toLowerCase() === 'authorization')) return {};
    const parsed = new URL(target);
    const sameHost = parsed.hostname === this.original.hostname && (parsed.protocol === this.original.protocol || parsed.protocol === 'https:');
    if (!sameHost) return {};
    return { Authorization: `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}` };
  }

  /** One request: its body on success, or where a redirect points. Every other answer is an error. */
  async request(
    target: string,
    init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: Buffer | AsyncIterable<Buffer> },
  ): Promise<{ body: Buffer; date: string | null; redirect?: undefined } | { redirect: string; body?: undefined }> {
    // Started before the credentials file is read, to run beside it: reading the settings may
    // start a git process. The same promise is awaited below (settingsFor keeps it).
    void this.settingsFor(target);
    if (!this.lookedInFile) {
      this.lookedInFile = true;
      this.credentials ??= await credentialsFromFile(this.url);
    }
    for (;;) {
      const settings = await this.settingsFor(target);
      const stall = new StallGuard(this.url);
      const streamed = init.body !== undefined && !Buffer.isBuffer(init.body) ? init.body : null;
      let response: HttpResponse;
      try {
        response = await sendHttpRequest(
          target,
          {
            method: init.method,
            headers: { 'User-Agent': USER_AGENT, ...init.headers, ...this.authorizationFor(target, settings) },
            // A remote taking in an upload is answering, however long the upload lasts.
            body: streamed ? stall.counted(streamed) : init.body,
            signal: stall.signal,
          },
          settings,
        );
      } catch (error) {
        stall.stop();
        throw stall.error ?? translateRemoteError(error, this.url, proxyUsed(settings));
      }
      if (response.ok) {
        if (this.credentials && !this.approved && this.options.reportToHelper !== false) {
          this.approved = true;
          await reportToHelper(this.credentialsUrl, this.credentials, true);
        }
        return { body: await stall.readBody(response), date: response.header('date') };
      }
      // Whatever happens next, this answer is finished with: its timer and its connection are
      // released, so nothing keeps the process alive after the command is done.
      stall.stop();
      response.discard();
      // A streamed body is gone once sent; discovery, which always comes first, asks the helper.
      if (response.status === 401 && !this.credentials && !this.askedHelper && !streamed) {
        this.askedHelper = true;
        this.credentialsUrl = new URL(target).host === this.original.host ? this.url : requestBase(target);
        this.credentials = await credentialsFromHelper(this.credentialsUrl);
        if (this.credentials) continue;
      }
      if (response.status === 401 && this.credentials && this.options.reportToHelper !== false)
        await reportToHelper(this.credentialsUrl, this.credentials, false);
      const location = response.header('location');
      if ([301, 302, 303, 307, 308].includes(response.status) && location) return { redirect: new URL(location, target).href };
      throw translateRemoteError(new RemoteHttpError(response.status, response.fromProxy), this.url, proxyUsed(settings));
    }
  }

  /** Reads a service's ref advertisement (`info/refs`), following redirects as git does by default. */
  async discover(service: 'git-upload-pack' | 'git-receive-pack'): Promise<RefAdvertisement> {
    const suffix = `/info/refs?service=${service}`;
    let target = `${this.base}${suffix}`;
    for (let hops = 0; ; hops += 1) {
      const answer = await this.request(target, { method: 'GET' });
      if (answer.redirect !== undefined) {
        if (hops >= MAX_REDIRECTS) throw new SyncConfigError(`The remote ${redactUrl(this.url)} redirected more than ${MAX_REDIRECTS} times. Check the URL.`);
        target = answer.redirect;
        continue;
      }
      if (hops > 0) this.rebase(target, suffix);
      return { ...parseAdvertisement(answer.body, this.url), serverDate: answer.date };
    }
  }

  /** Where the credentials sent came from (never the credentials themselves); null when none were sent. */
  get credentialSource(): Credentials['source'] | null {
    return this.credentials?.source ?? null;
  }

  /** After a redirect, every later request goes to the new place (git's `http.followRedirects=initial`). */
  private rebase(finalTarget: string, suffix: string): void {
    const parsed = new URL(finalTarget);
    if (!parsed.pathname.endsWith('/info/refs')) {
      throw new SyncConfigError(
        `The remote ${redactUrl(this.url)} redirected to ${redactUrl(requestBase(finalTarget))}, which does not look like a Git repository address (it dropped "${suffix.slice(1)}").`,
        { next: { action: 'change_address' } },
      );
    }
    this.base = `${parsed.origin}${parsed.pathname.slice(0, -'/info/refs'.length)}`;
  }

  /** A POST to a service; a redirect here is refused, as git refuses it. */
  async post(service: 'git-upload-pack' | 'git-receive-pack', body: Buffer | AsyncIterable<Buffer>): Promise<Buffer> {
    const kind = service.slice('git-'.length);
    const answer = await this.request(`${this.base}/${service}`, {
      method: 'POST',
      headers: { 'Content-Type': `application/x-${service}-request`, Accept: `application/x-${service}-result` },
      body,
    });
    if (answer.redirect !== undefined) {
      throw new SyncConfigError(
        `The remote ${redactUrl(this.url)} redirected the ${kind} request to ${redactUrl(answer.redirect)}; like git, planalign-sync follows redirects only on the first request. Nothing was changed.`,
        { next: { action: 'change_address' } },
      );
    }
    return answer.body;
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
      this.error = new SyncNetworkError(
        `The remote ${redactUrl(this.url)} stopped answering for ${(this.limitMs / 1000).toFixed(this.limitMs < 10_000 ? 1 : 0)} s. Nothing was changed here; try again later.`,
      );
      this.controller.abort(this.error);
    }, this.limitMs);
    // The open connection keeps the process alive while a request is under way; the watchdog must not on its own.
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** Passes an upload through, counting each chunk the remote takes as a sign of life. */
  async *counted(upload: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of upload) {
      this.restart();
      yield chunk;
    }
  }

  async readBody(response: HttpResponse): Promise<Buffer> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of response.body) {
        this.restart();
        chunks.push(chunk);
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
  /** the server's `Date` header on the answer, when it sent one */
  serverDate?: string | null;
}

/** What the remote said about one ref update. */
export interface PushReport {
  /** null when the ref was updated, else the remote's reason (`non-fast-forward`, `pre-receive hook declined`…) */
  refusal: string | null;
  /** what the remote wrote for people on side-band channel 2 (hook output, GH006/GH013 explanations), made safe to print */
  remoteMessages: string[];
}

export interface ReceivePackSession {
  advertisement: RefAdvertisement;
  /** Updates one ref with a pack (produced while it uploads). */
  update(ref: string, oldOid: string, newOid: string, pack: AsyncIterable<Buffer>): Promise<PushReport>;
}

/** The server stopped with a message of its own (an `ERR` line or side-band channel 3). */
function remoteSaid(text: string, url: string): SyncError {
  return new SyncError(
    `The remote ${redactUrl(url)} answered with an error: "${redactUrl(sanitizeRemoteText(text))}". Nothing was changed here; check the repository address and your access to it.`,
  );
}

/** Capabilities we ask for: those the server offered, and `agent=` only when it sent its own. */
function requestedCapabilities(offered: Set<string>, wanted: string[]): string[] {
  const chosen = wanted.filter((capability) => offered.has(capability));
  if ([...offered].some((capability) => capability.startsWith('agent='))) chosen.push(AGENT_CAPABILITY);
  return chosen;
}

const sha256Refused = (url: string) =>
  new SyncConfigError(
    `The remote ${redactUrl(url)} is a SHA-256 repository, which planalign-sync cannot read or write yet. Use a repository created with the default (SHA-1) object format.`,
  );

function parseAdvertisement(body: Buffer, url: string): RefAdvertisement {
  // A dumb-HTTP server or a web page answers with something that is not pkt-lines at all.
  const first = body.length >= 4 && /^[0-9a-f]{4}$/i.test(body.toString('latin1', 0, 4)) ? readPktLine(body, 0).payload : null;
  if (first) {
    const err = errLineText(first);
    if (err !== null) throw remoteSaid(err, url);
  }
  if (!first || !first.toString('utf8').startsWith('# service=')) {
    throw translateRemoteError(Object.assign(new Error('not a smart-HTTP Git server'), { code: 'SmartHttpError' }), url);
  }
  const refs = new Map<string, string>();
  let capabilities = new Set<string>();
  for (const line of parsePktLines(body).slice(1)) {
    if (line === null) continue;
    const err = errLineText(line);
    if (err !== null) throw remoteSaid(err, url);
    const text = line.toString('utf8').replace(/\n$/, '');
    const [refPart, caps] = text.split('\0');
    if (caps !== undefined) capabilities = new Set(caps.split(' ').filter(Boolean));
    const [oid, name] = refPart!.split(' ');
    if (capabilities.has('object-format=sha256') || /^[0-9a-f]{64}$/.test(oid ?? '')) throw sha256Refused(url);
    if (!/^[0-9a-f]{40}$/.test(oid ?? '') || !name) throw new MalformedWireError('the remote sent a malformed ref line');
    if (name !== 'capabilities^{}') refs.set(name, oid!);
  }
  if (capabilities.has('object-format=sha256')) throw sha256Refused(url);
  return { refs, capabilities };
}

/** What a look at a remote found without changing anything there (see probeRemote). */
export interface RemoteProbe {
  /** the server's `Date` header on the ref listing, and this computer's time half-way through that request (ms) */
  serverDate: string | null;
  localTimeMs: number;
  /** where the credentials sent came from; null when the remote asked for none */
  credentials: Credentials['source'] | null;
  /** why the remote would refuse a push, or null when it offers to take one */
  writeRefusal: SyncError | null;
}

/**
 * Asks a remote for its refs as a fetch would, then as a push would (`info/refs` of
 * upload-pack, then of receive-pack): nothing is sent to it, and the credential helper is not
 * told whether its credentials worked. Throws what a fetch would throw
 * (unreachable, credentials refused); a refused push listing is returned as `writeRefusal`.
 */
export async function probeRemote(url: string, options: TransportOptions = {}): Promise<RemoteProbe> {
  const connection = new RemoteConnection(url, { ...options, reportToHelper: false });
  const started = Date.now();
  let read: RefAdvertisement;
  try {
    read = await connection.discover('git-upload-pack');
  } catch (error) {
    throw translateRemoteError(error, url);
  }
  const localTimeMs = Math.round((started + Date.now()) / 2);
  let writeRefusal: SyncError | null = null;
  try {
    await connection.discover('git-receive-pack');
  } catch (error) {
    writeRefusal = translateRemoteError(error, url);
  }
  return { serverDate: read.serverDate ?? null, localTimeMs, credentials: connection.credentialSource, writeRefusal };
}

/**
 * Whether a token may push to a remote, asked before it is kept: the remote's ref listing for a
 * push (`info/refs` of receive-pack) with that token and nothing else (not the environment's,
 * the file's or the helper's, and no helper is told). Throws SyncAuthError when the remote
 * refuses it, and what a fetch would throw when the remote cannot be reached.
 */
export async function checkWriteAccess(url: string, credentials: { username: string; password: string }, options: TransportOptions = {}): Promise<void> {
  const connection = new RemoteConnection(url, { ...options, reportToHelper: false }, { ...credentials, source: 'file' });
  try {
    await connection.discover('git-receive-pack');
  } catch (error) {
    throw translateRemoteError(error, url);
  }
}

/** Where the remote's branches are, from one small request. */
export async function listRemoteRefs(url: string, options: TransportOptions = {}): Promise<Map<string, string>> {
  return (await openUploadPack(url, options)).advertisement.refs;
}

export interface UploadPackSession {
  advertisement: RefAdvertisement;
  /**
   * Downloads one pack holding `wants` and whatever they need that `haves` do not already
   * cover, over the connection the advertisement came from. Null when there was nothing to send.
   */
  fetch(wants: string[], haves: string[]): Promise<Buffer | null>;
}

/** Reads upload-pack's advertisement once; the pack, when one is needed, is asked for after it, as git does (two requests). */
export async function openUploadPack(url: string, options: TransportOptions = {}): Promise<UploadPackSession> {
  const connection = new RemoteConnection(url, options);
  const advertisement = await connection.discover('git-upload-pack').catch((error: unknown) => {
    throw translateRemoteError(error, url);
  });
  return {
    advertisement,
    async fetch(wants, haves) {
      const wanted = requestedCapabilities(advertisement.capabilities, ['side-band-64k', 'ofs-delta', 'no-progress']);
      const lines = wants.map((oid, i) => pktLine(i === 0 ? `want ${oid} ${wanted.join(' ')}\n` : `want ${oid}\n`));
      const request = Buffer.concat([...lines, FLUSH, ...haves.map((oid) => pktLine(`have ${oid}\n`)), pktLine('done\n')]);
      try {
        return parsePackResponse(await connection.post('git-upload-pack', request), wanted.includes('side-band-64k'), url);
      } catch (error) {
        throw translateRemoteError(error, url);
      }
    },
  };
}

/**
 * Reads upload-pack's answer: "NAK" / "ACK <id>" lines, then the pack (in band 1 when
 * side-band is on, ended by a flush). An `ERR` line, a fatal band-3 message, a malformed or
 * truncated line, or anything after the final flush is an error, so nothing is stored.
 */
export function parsePackResponse(response: Buffer, sideBand: boolean, url: string): Buffer | null {
  const chunks: Buffer[] = [];
  let offset = 0;
  let ended = false;
  while (offset < response.length) {
    if (!sideBand && chunks.length === 0 && response.toString('latin1', offset, offset + 4) === 'PACK') {
      chunks.push(response.subarray(offset));
      offset = response.length;
      break;
    }
    const { payload, next } = readPktLine(response, offset);
    offset = next;
    if (payload === null) {
      if (sideBand && chunks.length > 0) {
        ended = true;
        break;
      }
      continue;
    }
    const err = errLineText(payload);
    if (err !== null) throw remoteSaid(err, url);
    if (chunks.length === 0) {
      const text = payload.toString('latin1');
      if (text === 'NAK\n' || text === 'NAK' || text.startsWith('ACK ')) continue;
    }
    if (!sideBand) throw new MalformedWireError('the remote sent something other than a pack');
    const band = payload[0];
    if (band === 1) chunks.push(payload.subarray(1));
    else if (band === 3) throw remoteSaid(payload.subarray(1).toString('utf8'), url);
    else if (band !== 2) throw new MalformedWireError(`the remote sent data on unknown side-band channel ${band}`);
  }
  if (sideBand && chunks.length > 0 && !ended) throw new MalformedWireError('the remote ended the pack without its closing flush (truncated answer)');
  if (offset !== response.length) throw new MalformedWireError('the remote sent data after the end of the pack');
  const pack = Buffer.concat(chunks);
  return pack.length > 0 ? pack : null;
}

/** Up to this size a request is sent whole with a Content-Length; larger ones are streamed, as git does past `http.postBuffer`. */
const POST_BUFFER_BYTES = 1 << 20;

/**
 * The request body: one buffer when it is small, else a stream that starts with what was
 * already read and pulls the rest as the remote takes it. An error from `rest` itself (a
 * damaged object, say) is kept so it is reported as what it is, not as a network failure.
 */
async function bufferOrStream(head: Buffer, rest: AsyncIterable<Buffer>): Promise<{ body: Buffer | AsyncIterable<Buffer>; sourceError: () => unknown }> {
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
  async function* streamed(): AsyncGenerator<Buffer> {
    yield* gathered;
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      // a request that failed stops producing the pack
      await iterator.return?.();
    }
  }
  return { body: streamed(), sourceError: () => failure };
}

export async function openReceivePack(url: string, options: TransportOptions = {}): Promise<ReceivePackSession> {
  const connection = new RemoteConnection(url, options);
  const { refs, capabilities } = await connection.discover('git-receive-pack').catch((error: unknown) => {
    throw translateRemoteError(error, url);
  });
  return {
    advertisement: { refs, capabilities },
    async update(ref, oldOid, newOid, pack) {
      const deleting = /^0+$/.test(newOid);
      const wanted = requestedCapabilities(capabilities, ['report-status', 'side-band-64k', ...(deleting ? ['delete-refs'] : [])]);
      const command = pktLine(`${oldOid} ${newOid} ${ref}\0${wanted.join(' ')}\n`);
      const { body, sourceError } = await bufferOrStream(Buffer.concat([command, FLUSH]), pack);
      let response: Buffer;
      try {
        response = await connection.post('git-receive-pack', body);
      } catch (error) {
        throw sourceError() ?? translateRemoteError(error, url);
      }
      try {
        return parseReportStatus(response, wanted.includes('side-band-64k'), ref, url);
      } catch (error) {
        throw translateRemoteError(error, url);
      }
    },
  };
}

/** Reads `unpack ok` / `ok <ref>` / `ng <ref> <reason>` from the remote's answer, with what it said for people on channel 2. */
export function parseReportStatus(response: Buffer, sideBand: boolean, ref: string, url: string): PushReport {
  let report = response;
  const said: string[] = [];
  const messages = () =>
    sanitizeRemoteText(said.join(''))
      .split('\n')
      .map((line) => redactUrl(line.trimEnd()))
      .filter((line) => line.trim() !== '');
  if (sideBand) {
    const data: Buffer[] = [];
    for (const line of parsePktLines(response)) {
      if (line === null || line.length === 0) continue;
      const err = errLineText(line);
      if (err !== null) throw remoteSaid(err, url);
      if (line[0] === 1) data.push(line.subarray(1));
      else if (line[0] === 2) said.push(line.subarray(1).toString('utf8'));
      else if (line[0] === 3) return { refusal: sanitizeRemoteText(line.subarray(1).toString('utf8')) || 'remote error', remoteMessages: messages() };
      else throw new MalformedWireError(`the remote sent data on unknown side-band channel ${line[0]}`);
    }
    report = Buffer.concat(data);
  }
  let unpack: string | null = null;
  for (const line of parsePktLines(report)) {
    if (line === null) continue;
    const err = errLineText(line);
    if (err !== null) throw remoteSaid(err, url);
    const text = line.toString('utf8').trim();
    if (text.startsWith('unpack ')) unpack = text.slice(7);
    else if (text.startsWith(`ok ${ref}`)) return { refusal: unpack === 'ok' ? null : `unpack failed: ${unpack}`, remoteMessages: messages() };
    else if (text.startsWith(`ng ${ref}`)) return { refusal: sanitizeRemoteText(text.slice(`ng ${ref}`.length)) || 'rejected', remoteMessages: messages() };
  }
  if (unpack && unpack !== 'ok') return { refusal: `unpack failed: ${unpack}`, remoteMessages: messages() };
  throw new SyncNetworkError('The remote did not report the result of the push. Your work is committed here; push again.');
}
