import { promises as fsp } from 'node:fs';
import path from 'node:path';
import * as isogit from 'isomorphic-git';
import { SyncAuthError, SyncConfigError, SyncCorruptDataError, SyncError, SyncNetworkError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { translateRemoteError } from './error-translation.js';
import { createGitFs } from './git-fs.js';
import { nativeGitAvailable, runNativeGit } from './native-git.js';
import { httpsEquivalent, redactUrl, remoteKind } from '../models/remote-url.js';
import { looseObjectSink, serializeCommit, TREE_MODE, type ObjectSink, type Signature } from './objects.js';
import { encodePackEntry, storePack, streamPack } from './pack-writer.js';
import { ObjectNotFoundError, ObjectReader, parseCommit, parseTree, type RawObject } from './object-reader.js';
import { GIT_GC_LIMITS, maintainObjects } from './pack-maintenance.js';
import { collectObjectsToSend, type ObjectRef } from './push-objects.js';
import { isFullRefName, readRef, writeRefFile } from './refs.js';
import {
  listRemoteRefs,
  openReceivePack,
  openUploadPack,
  probeRemote,
  type ReceivePackSession,
  type RemoteProbe,
  type UploadPackSession,
} from './smart-http.js';
import { indexPack } from './pack-indexer.js';
import { probeCoreSettings, type CoreSettings } from './core-settings.js';
import { findCommitter, type Committer } from './committer.js';
import { logRefUpdate } from './reflog.js';

/**
 * A workspaces root's Git repository, and the only module that talks to isomorphic-git, which
 * sets the repository up and keeps its config and refs. Objects are read and written by
 * object-reader.ts, objects.ts and pack-writer.ts, and remotes are reached through
 * smart-http.ts (or native git for SSH): doing those through isomorphic-git's high-level calls
 * costs seconds per operation on a large root. Everything above this module works with plain
 * ids, paths and the SyncError classes.
 */
export const REMOTE_NAME = 'origin';
const ZERO_OID = '0000000000000000000000000000000000000000';

/** A refusal with what the server said about it (a hook's output, a host's protected-branch rule), which tells the user what to change. */
function refusedMessage(headline: string, remoteMessages: string[], advice: string): string {
  if (remoteMessages.length === 0) return `${headline} ${advice}`;
  return `${headline}\nThe remote said:\n${remoteMessages.map((line) => `  remote: ${line}`).join('\n')}\n${advice}`;
}

/** Native git's push over SSH was refused because the remote moved: the caller fetches and tries again. */
class SshPushRejected extends Error {}

/** What a ref deletion sends after its command: nothing. */
async function* noPack(): AsyncGenerator<Buffer> {}

export interface CommitInfo {
  oid: string;
  tree: string;
  parents: string[];
  message: string;
  /** seconds since the epoch */
  committedAt: number;
  author: string;
  authorEmail: string;
  /** seconds since the epoch, when the author made the change (kept when a change is carried elsewhere) */
  authoredAt: number;
  /** minutes, as Date.getTimezoneOffset() gives it */
  authorTimezoneOffset: number;
}

export interface TreeItem {
  name: string;
  oid: string;
  mode: string;
  type: 'blob' | 'tree' | 'commit';
}

export interface TransferProgress {
  phase: string;
  loaded: number;
  total?: number;
}

export interface RemoteOptions {
  url: string;
  /** the remote's branch */
  branch: string;
  /** a ref of the remote other than its branch (e.g. `refs/planalign/archive/<id>`); default refs/heads/<branch> */
  remoteRef?: string;
  /** the local ref pushed to it (default refs/heads/<branch>) */
  localRef?: string;
  /** where its commit is recorded here (default refs/remotes/origin/<branch>) */
  trackingRef?: string;
  /**
   * A commit the remote is known to hold (e.g. the tip of its main branch): when the branch is
   * new there, a push sends only what this commit does not already have.
   */
  basis?: string | null;
  onProgress?: (progress: TransferProgress) => void;
}

/** What a remote said its branch head was, when asked (by GitRepository.openFetch or openPush). */
export interface RemoteAdvertised {
  /** the remote's branch head then; null when the branch is not there */
  remoteHead: string | null;
  /** the session that can send that commit's objects, when upload-pack was asked */
  uploadPack?: UploadPackSession;
}

/** A fetch started with GitRepository.openFetch. */
export interface FetchSession extends RemoteAdvertised {
  uploadPack: UploadPackSession;
}

/** A push started with GitRepository.openPush. */
export interface PushSession extends RemoteAdvertised {
  receivePack: ReceivePackSession;
}

const remoteRefOf = (options: RemoteOptions) => options.remoteRef ?? `refs/heads/${options.branch}`;
const localRefOf = (options: RemoteOptions) => options.localRef ?? `refs/heads/${options.branch}`;
const trackingRefOf = (options: RemoteOptions) => options.trackingRef ?? `refs/remotes/${REMOTE_NAME}/${options.branch}`;

/** The `core` settings isomorphic-git's init writes on every platform. */
const ISOMORPHIC_GIT_INIT_SETTINGS = { 'core.filemode': 'false', 'core.symlinks': 'false', 'core.ignorecase': 'true' } as const;

/** How far a commit's date may be before its parent's for the history walks to still find what lies below it. */
const CLOCK_SKEW_ALLOWANCE_S = 3_600;

export class GitRepository {
  readonly gitdir: string;
  private readonly fs: ReturnType<typeof createGitFs>;
  /** isomorphic-git's pack and object cache, shared by the calls of one operation. */
  private readonly cache: object = {};
  private readonly objects: ObjectReader;

  constructor(readonly root: string) {
    this.gitdir = path.join(root, '.git');
    this.fs = createGitFs(this.gitdir);
    this.objects = new ObjectReader(this.gitdir);
  }

  private get base() {
    return { fs: this.fs, dir: this.root, gitdir: this.gitdir, cache: this.cache };
  }

  async exists(): Promise<boolean> {
    try {
      await fsp.access(path.join(this.gitdir, 'HEAD'));
      return true;
    } catch {
      return false;
    }
  }

  /** A new repository with the `core` settings `git init` would give it on this file system (see probeCoreSettings). */
  async init(branch: string): Promise<void> {
    await isogit.init({ fs: this.fs, dir: this.root, gitdir: this.gitdir, defaultBranch: branch });
    // isomorphic-git writes Windows' answers everywhere (no file modes, no symbolic links, case ignored).
    for (const [key, value] of Object.entries(probeCoreSettings(this.gitdir))) await this.setConfig(key, value ?? undefined);
  }

  /**
   * Roots set up by earlier versions kept isomorphic-git's answers (no file modes, no symbolic
   * links, case ignored) on every platform. Where all three are still there and this is not
   * Windows (where they are git's own answers), they are replaced by what `git init` finds here.
   * Returns whether anything changed.
   */
  async correctInitialCoreSettings(platform: NodeJS.Platform = process.platform): Promise<boolean> {
    if (platform === 'win32') return false;
    for (const [key, value] of Object.entries(ISOMORPHIC_GIT_INIT_SETTINGS)) if ((await this.getConfig(key))?.toLowerCase() !== value) return false;
    const probed = probeCoreSettings(this.gitdir, platform);
    const written: Partial<CoreSettings> = ISOMORPHIC_GIT_INIT_SETTINGS;
    const changed = (Object.keys(probed) as (keyof CoreSettings)[]).filter((key) => probed[key] !== (written[key] ?? null));
    for (const key of changed) await this.setConfig(key, probed[key] ?? undefined);
    return changed.length > 0;
  }

  async currentBranch(): Promise<string | null> {
    return (await isogit.currentBranch({ ...this.base, test: true })) ?? null;
  }

  /** Points HEAD at a branch (which may not exist yet). */
  async setHeadBranch(branch: string): Promise<void> {
    await writeFileAtomic(path.join(this.gitdir, 'HEAD'), `ref: refs/heads/${branch}\n`);
  }

  async getConfig(key: string): Promise<string | null> {
    const value: unknown = await isogit.getConfig({ ...this.base, path: key });
    // isomorphic-git turns `true` / `false` into booleans and numbers into numbers.
    return value === undefined || value === null ? null : String(value);
  }

  async setConfig(key: string, value: string | undefined): Promise<void> {
    await isogit.setConfig({ ...this.base, path: key, value });
  }

  async remoteUrl(): Promise<string | null> {
    return this.getConfig(`remote.${REMOTE_NAME}.url`);
  }

  async setRemote(url: string): Promise<void> {
    await isogit.addRemote({ ...this.base, remote: REMOTE_NAME, url, force: true });
  }

  async removeRemote(): Promise<void> {
    await isogit.deleteRemote({ ...this.base, remote: REMOTE_NAME });
  }

  /** The commit a ref points at; null when there is no such ref (or it cannot be read). */
  async resolveRef(ref: string): Promise<string | null> {
    try {
      return isFullRefName(ref) ? readRef(this.gitdir, ref) : await isogit.resolveRef({ ...this.base, ref });
    } catch {
      return null;
    }
  }

  /** Points a ref at a commit, and records the move in the ref's reflog as git would (see logRefUpdate). */
  async writeRef(ref: string, oid: string, reason = 'planalign-sync'): Promise<void> {
    if (!isFullRefName(ref)) {
      await isogit.writeRef({ ...this.base, ref, value: oid, force: true });
      return;
    }
    const previous = await this.resolveRef(ref);
    writeRefFile(this.gitdir, ref, oid);
    if (previous === oid) return;
    const logAll = (await this.getConfig('core.logallrefupdates'))?.toLowerCase() !== 'false';
    logRefUpdate(this.gitdir, ref, previous, oid, await this.reflogIdentity(), reason, logAll);
  }

  /** Who commits in this root (see findCommitter), learnt afresh each time a commit is made. */
  async committer(): Promise<Committer> {
    this.lastCommitter = await findCommitter((key) => this.getConfig(key));
    return this.lastCommitter;
  }

  private lastCommitter: Committer | null = null;

  /** A reflog line names the committer as the commits do: the last one found, else found now. */
  private async reflogIdentity(): Promise<Committer> {
    return this.lastCommitter ?? (await this.committer());
  }

  /** Refs under a prefix (e.g. `refs/heads/workspaces`), full name → commit. */
  async listRefs(prefix: string): Promise<Map<string, string>> {
    const names = await isogit.listRefs({ ...this.base, filepath: prefix }).catch(() => [] as string[]);
    const refs = new Map<string, string>();
    for (const name of names) {
      const oid = await this.resolveRef(`${prefix}/${name}`);
      if (oid) refs.set(`${prefix}/${name}`, oid);
    }
    return refs;
  }

  /** The remote's refs under a prefix, from one small request. */
  async listRemoteRefs(url: string, prefix: string): Promise<Map<string, string>> {
    if (remoteKind(url) === 'ssh') {
      const result = await this.nativeTransport(['ls-remote', url, `${prefix}/*`], url);
      return new Map(
        result
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => {
            const [oid, ref] = l.split(/\s+/);
            return [ref, oid] as [string, string];
          }),
      );
    }
    try {
      return new Map([...(await listRemoteRefs(url, { cwd: this.root }))].filter(([ref]) => ref.startsWith(`${prefix}/`)));
    } catch (error) {
      throw translateRemoteError(error, url);
    }
  }

  async deleteRef(ref: string): Promise<void> {
    await isogit.deleteRef({ ...this.base, ref }).catch(() => undefined);
  }

  /**
   * Refuses a repository whose format this layer would misread: SHA-256 object ids, or refs
   * kept in a reftable. Native git writes such repositories only when asked to.
   */
  async assertSupportedFormat(): Promise<void> {
    const format = (await this.getConfig('extensions.objectFormat'))?.toLowerCase();
    if (format && format !== 'sha1') {
      throw new SyncConfigError(
        `${this.gitdir} uses ${format} object ids (extensions.objectFormat = ${format}); planalign-sync reads only SHA-1 repositories, as most Git hosts serve. ` +
          `Nothing was changed. Sync this folder from a SHA-1 repository instead (git init --object-format=sha1).`,
      );
    }
    const refStorage = (await this.getConfig('extensions.refStorage'))?.toLowerCase();
    if (refStorage && refStorage !== 'files') {
      throw new SyncConfigError(
        `${this.gitdir} keeps its refs in a ${refStorage} (extensions.refStorage); planalign-sync reads only the files format. Nothing was changed.`,
      );
    }
  }

  /** Whether the commit is here. Only a real "not found" is false: a damaged or unreadable object is an error, never "absent". */
  async hasCommit(oid: string): Promise<boolean> {
    try {
      return (await this.objects.read(oid)).type === 'commit';
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return false;
      throw error;
    }
  }

  async readCommit(oid: string): Promise<CommitInfo> {
    const object = await this.objects.read(oid);
    if (object.type === 'tag') {
      throw new SyncError(
        `${oid} is an annotated tag, not a commit: a branch that sync follows must point at a commit (native git refuses to put a tag on a branch; this one was written by another tool).`,
      );
    }
    if (object.type !== 'commit') throw new Error(`${oid} is a ${object.type}, not a commit`);
    return { oid, ...parseCommit(object.content) };
  }

  /**
   * Consolidates packs and loose objects once they pile up past the repository's gc limits
   * (gc.autoPackLimit, gc.auto; git's defaults otherwise). Returns what ran, or null.
   */
  async maintain(options: { native?: boolean } = {}): Promise<'native' | 'javascript' | null> {
    // Objects of such a repository are never removed by anyone (git refuses to repack it with -d).
    if ((await this.getConfig('extensions.preciousObjects'))?.toLowerCase() === 'true') return null;
    const limit = async (key: string, fallback: number) => {
      const text = await this.getConfig(key);
      const value = Number(text);
      return text !== null && Number.isInteger(value) && value >= 0 ? value : fallback;
    };
    const limits = { packLimit: await limit('gc.autoPackLimit', GIT_GC_LIMITS.packLimit), looseLimit: await limit('gc.auto', GIT_GC_LIMITS.looseLimit) };
    const ran = await maintainObjects(this.gitdir, (oid) => this.objects.read(oid), { ...options, limits });
    if (ran) this.objects.invalidate();
    return ran;
  }

  async readTree(oid: string): Promise<TreeItem[]> {
    const object = await this.objects.read(oid);
    if (object.type !== 'tree') throw new Error(`${oid} is a ${object.type}, not a tree`);
    return parseTree(object.content).map((entry) => ({
      name: entry.name,
      oid: entry.oid,
      mode: entry.mode,
      type: entry.mode === TREE_MODE ? 'tree' : entry.mode === '160000' ? 'commit' : 'blob',
    }));
  }

  async readBlob(oid: string): Promise<Uint8Array> {
    return (await this.objects.read(oid)).content;
  }

  async readRawObject(oid: string): Promise<RawObject> {
    return this.objects.read(oid);
  }

  /**
   * Which commits only one side has, and their best common ancestors. Walks both histories
   * newest first, painting what each tip reaches, and stops once every commit left is reached
   * by both (git's paint-down-to-common), so a long shared history costs nothing. Unlike
   * isomorphic-git's merge, several merge bases are fine: the caller takes the first.
   */
  async compareHistories(local: string, remote: string): Promise<{ onlyLocal: string[]; onlyRemote: string[]; bases: string[] }> {
    const LOCAL = 1;
    const REMOTE = 2;
    const STALE = 4;
    const RESULT = 8;
    const flags = new Map<string, number>();
    const times = new Map<string, number>();
    const queue: string[] = [];
    const paint = async (oid: string, flag: number) => {
      const before = flags.get(oid) ?? 0;
      if ((before & flag) === flag) return;
      flags.set(oid, before | flag);
      if (!times.has(oid)) times.set(oid, (await this.readCommit(oid)).committedAt);
      queue.push(oid);
    };
    await paint(local, LOCAL);
    await paint(remote, REMOTE);
    while (queue.some((oid) => !(flags.get(oid)! & STALE))) {
      queue.sort((a, b) => times.get(a)! - times.get(b)!);
      const oid = queue.pop()!;
      let flag = flags.get(oid)! & (LOCAL | REMOTE | STALE);
      if ((flag & (LOCAL | REMOTE)) === (LOCAL | REMOTE) && !(flag & STALE)) {
        flags.set(oid, flags.get(oid)! | RESULT);
        flag |= STALE;
      }
      const parents = await this.parentsOrNone(oid);
      for (const parent of parents) await paint(parent, flag);
    }
    // The walk stops early, and commits with equal times (or skewed clocks) may have been
    // painted from one side only before a common descendant reached them: everything below
    // a common commit is common. Walking down from them also drops bases that are ancestors
    // of other bases.
    const candidates = new Set([...flags].filter(([, flag]) => flag & RESULT && !(flag & STALE)).map(([oid]) => oid));
    const stack = [...flags].filter(([, flag]) => flag & (STALE | RESULT)).map(([oid]) => oid);
    const walked = new Set<string>();
    // The walk goes on through commits it never painted, down to the time of the oldest commit
    // painted from one side only (less an hour, for equal and skewed clock times): one of those may lie below.
    const oneSided = [...flags].filter(([, flag]) => (flag & (LOCAL | REMOTE)) !== (LOCAL | REMOTE)).map(([oid]) => times.get(oid)!);
    // a loop, not Math.min(...): a history of more than about 120,000 commits is more arguments than a call takes
    const floor = oneSided.reduce((oldest, time) => Math.min(oldest, time), Infinity) - CLOCK_SKEW_ALLOWANCE_S;
    while (stack.length > 0) {
      const oid = stack.pop()!;
      if (walked.has(oid)) continue;
      walked.add(oid);
      const parents = await this.parentsOrNone(oid);
      for (const parent of parents) {
        const flag = flags.get(parent);
        if (flag === undefined) {
          if ((await this.readCommit(parent)).committedAt >= floor) stack.push(parent);
          continue;
        }
        flags.set(parent, flag | LOCAL | REMOTE | STALE);
        candidates.delete(parent);
        stack.push(parent);
      }
    }
    // Several left (criss-cross merges, skewed clocks): one reached from another through commits
    // the walk never painted is not a best common ancestor, as git's remove_redundant has it.
    if (candidates.size > 1) {
      for (const candidate of [...candidates]) {
        for (const other of candidates) {
          if (other !== candidate && (await this.reaches(other, candidate))) {
            candidates.delete(candidate);
            break;
          }
        }
      }
    }
    const onlyLocal: string[] = [];
    const onlyRemote: string[] = [];
    const bases = [...candidates];
    for (const [oid, flag] of flags) {
      const sides = flag & (LOCAL | REMOTE);
      if (sides === LOCAL) onlyLocal.push(oid);
      else if (sides === REMOTE) onlyRemote.push(oid);
    }
    bases.sort((a, b) => times.get(b)! - times.get(a)!);
    return { onlyLocal, onlyRemote, bases };
  }

  /** Whether `target` is in the history of `from` (a walk of every parent; for the rare case of several merge bases). */
  private async reaches(from: string, target: string): Promise<boolean> {
    const seen = new Set<string>([from]);
    const stack = [from];
    while (stack.length > 0) {
      for (const parent of await this.parentsOrNone(stack.pop()!)) {
        if (parent === target) return true;
        if (!seen.has(parent)) {
          seen.add(parent);
          stack.push(parent);
        }
      }
    }
    return false;
  }

  /** Whether `ancestor` is `descendant` or in its history. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return ancestor === descendant || (await this.compareHistories(descendant, ancestor)).bases.includes(ancestor);
  }

  /** A commit's parents; none when it is not here (a shallow or incomplete history ends there). */
  private async parentsOrNone(oid: string): Promise<string[]> {
    try {
      return (await this.readCommit(oid)).parents;
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return [];
      throw error;
    }
  }

  /** Every commit leading to `tip`. */
  async history(tip: string): Promise<string[]> {
    return [...(await this.commitsReachable([tip])).keys()];
  }

  /** Every commit leading to any of `tips`, each read once. */
  async commitsReachable(tips: string[]): Promise<Map<string, CommitInfo>> {
    const commits = new Map<string, CommitInfo>();
    const stack = [...tips];
    while (stack.length > 0) {
      const oid = stack.pop()!;
      if (commits.has(oid)) continue;
      const commit = await this.readCommit(oid);
      commits.set(oid, commit);
      stack.push(...commit.parents);
    }
    return commits;
  }

  async writeCommit(
    commit: { tree: string; parents: string[]; message: string; author: Signature; committer?: Signature },
    sink: ObjectSink = looseObjectSink(this.gitdir),
  ): Promise<string> {
    return sink.write('commit', serializeCommit({ ...commit, committer: commit.committer ?? commit.author }));
  }

  // ---- remote transport -------------------------------------------------------------

  /**
   * Fetches the branch into refs/remotes/origin/<branch>; returns the remote's commit, or null
   * when the remote has no such branch (an empty repository). The tracking ref moves only once
   * the pack is stored and the commit is readable.
   */
  async fetch(options: RemoteOptions, opened?: RemoteAdvertised | null): Promise<string | null> {
    const trackingRef = trackingRefOf(options);
    if (remoteKind(options.url) === 'ssh') return this.fetchOverSsh(options, trackingRef);
    // A head receive-pack named that is not here yet is fetched from upload-pack's own advertisement.
    const usable = opened && (opened.uploadPack || opened.remoteHead === null || (await this.hasCommit(opened.remoteHead))) ? opened : null;
    const { remoteHead, uploadPack } = usable ?? (await this.openFetch(options))!;
    if (remoteHead === null) return null;
    if (uploadPack && !(await this.hasCommit(remoteHead))) await this.downloadPack(uploadPack, remoteHead, options, trackingRef);
    if ((await this.resolveRef(trackingRef)) !== remoteHead) await this.writeRef(trackingRef, remoteHead, 'planalign-sync: fetch');
    return remoteHead;
  }

  /**
   * Starts a fetch over HTTPS with upload-pack's advertisement, which a caller may ask for while
   * it does other work: the pack, when one is needed, follows over the same connection (git's
   * two requests). Null over SSH, where native git does the whole fetch.
   */
  async openFetch(options: RemoteOptions): Promise<FetchSession | null> {
    if (remoteKind(options.url) === 'ssh') return null;
    const uploadPack = await openUploadPack(options.url, { cwd: this.root });
    return { remoteHead: uploadPack.advertisement.refs.get(remoteRefOf(options)) ?? null, uploadPack };
  }

  /** Downloads, checks and stores the pack that brings `remoteHead`; the tracking ref is the caller's to move. */
  private async downloadPack(session: UploadPackSession, remoteHead: string, options: RemoteOptions, trackingRef: string): Promise<void> {
    options.onProgress?.({ phase: 'Receiving objects', loaded: 0 });
    const haves = [await this.resolveRef(localRefOf(options)), await this.resolveRef(trackingRef)].filter((oid): oid is string => !!oid);
    const pack = await session.fetch([remoteHead], [...new Set(haves)]);
    if (pack) {
      options.onProgress?.({ phase: 'Indexing objects', loaded: 0 });
      const indexed = await indexPack(pack, (oid) => this.objects.read(oid)).catch((error: unknown) => {
        if (error instanceof SyncError) throw error;
        throw new SyncCorruptDataError(
          `${redactUrl(options.url)} sent a pack that git would refuse: ${(error as Error).message}. Nothing was stored and no branch moved; ` +
            `if it happens again, the remote's repository needs 'git fsck'.`,
          { cause: error },
        );
      });
      await storePack(this.gitdir, indexed.pack, indexed.entries);
      this.objects.invalidate();
    }
    const sent = await this.objects.read(remoteHead).then(
      (object) => object.type,
      (error: unknown) => {
        if (error instanceof ObjectNotFoundError) return null;
        throw error;
      },
    );
    if (sent === null) throw translateRemoteError(new Error(`the remote did not send commit ${remoteHead}`), options.url);
    if (sent !== 'commit') {
      throw new SyncError(
        `The branch ${options.branch} of ${redactUrl(options.url)} points at ${sent === 'tag' ? 'an annotated tag' : `a ${sent}`} (${remoteHead}), not a commit. ` +
          `No branch was moved here. Point the branch at a commit on the remote (for a tag: git push --force <remote> <tag>^{commit}:refs/heads/${options.branch}).`,
      );
    }
  }

  /** The commit the remote's branch points at, from one small request; null when absent. */
  async remoteBranchHead(options: RemoteOptions): Promise<string | null> {
    if (remoteKind(options.url) === 'ssh') {
      const result = await this.nativeTransport(['ls-remote', options.url, remoteRefOf(options)], options.url);
      const line = result.split('\n').find((l) => l.trim());
      return line ? line.split(/\s+/)[0] : null;
    }
    return (await listRemoteRefs(options.url, { cwd: this.root })).get(remoteRefOf(options)) ?? null;
  }

  /**
   * Looks at a remote without changing anything there: that it answers, that it takes this
   * computer's credentials for reading and (over HTTPS) for writing, and the server's clock.
   * Over SSH only reading is checked (through native git), and there is no clock to compare.
   */
  async probeRemote(url: string): Promise<RemoteProbe & { transport: 'https' | 'ssh' }> {
    if (remoteKind(url) === 'ssh') {
      await this.nativeTransport(['ls-remote', '--heads', url], url);
      return { transport: 'ssh', serverDate: null, localTimeMs: Date.now(), credentials: null, writeRefusal: null };
    }
    return { transport: 'https', ...(await probeRemote(url, { cwd: this.root })) };
  }

  /**
   * Starts a push over HTTPS with receive-pack's advertisement, which names the remote's branch
   * head too: a push that finds it unchanged needs no other request before sending, as with git.
   * Null over SSH, where native git does the whole push.
   */
  async openPush(options: RemoteOptions): Promise<PushSession | null> {
    if (remoteKind(options.url) === 'ssh') return null;
    const receivePack = await openReceivePack(options.url, { cwd: this.root });
    return { remoteHead: receivePack.advertisement.refs.get(remoteRefOf(options)) ?? null, receivePack };
  }

  /**
   * Pushes the local branch, through `opened` when the caller started the push (see openPush);
   * false when the remote moved on (the caller fetches, merges and tries again).
   */
  async push(options: RemoteOptions, opened?: PushSession | null): Promise<boolean> {
    if (remoteKind(options.url) === 'ssh') return this.pushOverSsh(options);
    const ref = remoteRefOf(options);
    const head = await this.resolveRef(localRefOf(options));
    if (!head) return true;
    const session = opened?.receivePack ?? (await openReceivePack(options.url, { cwd: this.root }));
    const remoteOld = session.advertisement.refs.get(ref) ?? null;
    if (remoteOld === head) return true;
    // A remote tip we do not have, or that our branch does not contain, means someone pushed first.
    if (remoteOld && !(await this.hasCommit(remoteOld))) return false;
    const basis = remoteOld ?? (options.basis && (await this.hasCommit(options.basis)) ? options.basis : null);
    const { onlyLocal, onlyRemote } = basis ? await this.compareHistories(head, basis) : { onlyLocal: await this.history(head), onlyRemote: [] };
    if (remoteOld && onlyRemote.length > 0) return false;
    options.onProgress?.({ phase: 'Collecting changes', loaded: 0 });
    const remoteTree = basis ? (await this.readCommit(basis)).tree : null;
    const objects = await collectObjectsToSend(this, onlyLocal, remoteTree);
    options.onProgress?.({ phase: 'Uploading', loaded: 0, total: objects.length });
    const { refusal, remoteMessages } = await session.update(
      ref,
      remoteOld ?? ZERO_OID,
      head,
      streamPack(objects.length, this.packEntries(objects, options.onProgress)),
    );
    if (refusal === null) {
      await this.writeRef(trackingRefOf(options), head, 'update by push');
      return true;
    }
    if (/non-fast-forward|fetch first|stale|failed to (update|lock)/i.test(refusal)) return false;
    throw new SyncError(
      refusedMessage(
        `The remote ${redactUrl(options.url)} refused the push: ${refusal}.`,
        remoteMessages,
        'Your work is committed here; once the remote accepts it, push again.',
      ),
    );
  }

  /** Each object's pack entry for a push: copied from a local pack when stored there whole, else compressed afresh. */
  private async *packEntries(objects: ObjectRef[], onProgress: RemoteOptions['onProgress']): AsyncGenerator<Buffer> {
    let sent = 0;
    for (const object of objects) {
      let entry: Buffer;
      try {
        entry =
          (await this.objects.readPackEntry(object.oid)) ?? (await this.objects.read(object.oid).then(({ type, content }) => encodePackEntry(type, content)));
      } catch (error) {
        throw new SyncError(
          `The ${object.type} ${object.oid} in ${this.gitdir} cannot be read (${(error as Error).message}). ` +
            `Nothing was pushed and your workspace files are untouched; 'git -C ${this.root} fsck' lists what is damaged.`,
        );
      }
      yield entry;
      sent += 1;
      if (sent % 2000 === 0) onProgress?.({ phase: 'Uploading', loaded: sent, total: objects.length });
    }
  }

  /** Deletes a branch on the remote (if it is there); false when it moved since we last saw it. */
  async deleteRemoteBranch(options: RemoteOptions, expected: string | null): Promise<boolean> {
    const ref = remoteRefOf(options);
    if (remoteKind(options.url) === 'ssh') {
      await this.nativeTransport(['push', options.url, `:${ref}`], options.url);
      return true;
    }
    const session = await openReceivePack(options.url, { cwd: this.root });
    const current = session.advertisement.refs.get(ref) ?? null;
    if (current === null) return true;
    if (expected !== null && current !== expected) return false;
    const { refusal, remoteMessages } = await session.update(ref, current, ZERO_OID, noPack());
    if (refusal !== null)
      throw new SyncError(
        refusedMessage(`The remote ${redactUrl(options.url)} refused to delete ${options.branch}: ${refusal}.`, remoteMessages, 'Nothing was deleted.'),
      );
    return true;
  }

  // ---- SSH remotes, through the native git transport ----------------------------------

  private async nativeTransport(args: string[], url: string): Promise<string> {
    if (!nativeGitAvailable()) {
      const https = httpsEquivalent(url);
      throw new SyncConfigError(
        `The remote ${url} uses SSH, which needs the git command, and git is not installed. ` +
          (https ? `Use the HTTPS URL instead: ${https} (with PLANALIGN_SYNC_TOKEN).` : 'Use an https:// URL instead.'),
      );
    }
    const result = await runNativeGit(args, { cwd: this.root, env: { GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes' } });
    if (result.code !== 0) {
      const stderr = redactUrl(result.stderr.trim().split('\n').slice(-1)[0] ?? '');
      if (/permission denied|authentication|publickey/i.test(result.stderr)) {
        throw new SyncAuthError(
          `The SSH remote ${redactUrl(url)} refused the connection (${stderr}). Check that your SSH key is loaded (ssh-add -l) and may access the repository.`,
        );
      }
      if (/rejected|fetch first|non-fast-forward/i.test(result.stderr)) throw new SshPushRejected(stderr);
      throw new SyncNetworkError(
        `Could not reach the remote ${redactUrl(url)} over SSH (${stderr}). Your local work is safe; check the network and try again.`,
      );
    }
    return result.stdout;
  }

  private async fetchOverSsh(options: RemoteOptions, trackingRef: string): Promise<string | null> {
    const head = await this.remoteBranchHead(options);
    if (head === null) return null;
    await this.nativeTransport(['fetch', '--no-tags', options.url, `+${remoteRefOf(options)}:${trackingRef}`], options.url);
    return head;
  }

  private async pushOverSsh(options: RemoteOptions): Promise<boolean> {
    try {
      await this.nativeTransport(['push', options.url, `${localRefOf(options)}:${remoteRefOf(options)}`], options.url);
      const head = await this.resolveRef(localRefOf(options));
      if (head) await this.writeRef(trackingRefOf(options), head, 'update by push');
      return true;
    } catch (error) {
      if (error instanceof SshPushRejected) return false;
      throw error;
    }
  }
}
