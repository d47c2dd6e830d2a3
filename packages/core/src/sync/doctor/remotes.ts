import { SyncAuthError, SyncError, SyncNetworkError, SyncProxyAuthError, SyncProxyError } from '../../errors.js';
import type { GitRepository } from '../../git/repository.js';
import type { DoctorFinding } from '../../models/doctor.js';
import { redactUrl } from '../../models/remote-url.js';
import type { SyncContext } from '../sync-context.js';
import { formatDuration } from './wording.js';

/** Beyond this, last-write-wins may pick the older of two edits made this far apart. */
const CLOCK_TOLERANCE_SECONDS = 60;

type RemoteProbe = Awaited<ReturnType<GitRepository['probeRemote']>>;

/**
 * Each remote this root syncs with (origin, then the team remotes): that it answers, that it
 * takes this computer's credentials for reading and for writing, and, from the first one that
 * sends its time, how far this computer's clock is from the server's. Only ref listings are
 * asked for; nothing is sent. `now` is this computer's clock (a parameter so tests can skew it).
 */
export async function checkRemotes(context: SyncContext, now: () => number): Promise<DoctorFinding[]> {
  const remotes = [
    ...(context.settings.remote ? [{ name: 'origin', url: context.settings.remote }] : []),
    ...Object.entries(context.settings.remotes).map(([name, remote]) => ({ name, url: remote.url })),
  ];
  const findings: DoctorFinding[] = [];
  let clock: DoctorFinding | null = null;
  let listed = false;
  for (const { name, url } of remotes) {
    const shown = redactUrl(url);
    let probe: RemoteProbe;
    try {
      probe = await context.repo.probeRemote(url);
    } catch (error) {
      findings.push(...refused(name, shown, error));
      continue;
    }
    listed = true;
    findings.push({ check: 'remote', status: 'ok', remote: name, summary: `${shown} answered.` });
    findings.push(credentialsFinding(name, shown, probe));
    clock ??= clockFinding(name, shown, probe, now() - Date.now());
  }
  const why = remotes.length === 0 ? 'there is no remote' : listed ? 'the remotes send no time (SSH remotes never do)' : 'no remote answered';
  findings.push(clock ?? { check: 'clock', status: 'skipped', summary: `Not compared with a server's clock: ${why}.` });
  return findings;
}

/** A remote that could not be listed: unreachable, or refusing the credentials (it answered, so it is reachable). */
function refused(name: string, shown: string, error: unknown): DoctorFinding[] {
  if (!(error instanceof SyncError)) throw error;
  // The proxy stopped the request: the remote was neither reached nor asked about the credentials.
  if (error instanceof SyncProxyAuthError) {
    return [
      {
        check: 'remote',
        status: 'problem',
        remote: name,
        summary: error.message,
        detail: error.message,
        next: { action: 'proxy_login', remote: name },
      },
    ];
  }
  if (error instanceof SyncAuthError) {
    return [
      { check: 'remote', status: 'ok', remote: name, summary: `${shown} answered.` },
      {
        check: 'credentials',
        status: 'problem',
        remote: name,
        summary: `${shown} refused this computer's credentials: sync can neither fetch nor push.`,
        detail: error.message,
        next: { action: 'update_token', remote: name },
      },
    ];
  }
  const unreachable = error instanceof SyncNetworkError;
  return [
    {
      check: 'remote',
      status: 'problem',
      remote: name,
      // a proxy's failure is told in its own words, which name the proxy and where it was set
      summary: error instanceof SyncProxyError ? error.message : unreachable ? `Could not reach ${shown}.` : `${shown} cannot be synced with.`,
      detail: error.message,
      next: error.next ?? { action: 'check_connection', remote: name },
    },
  ];
}

function credentialsFinding(name: string, shown: string, probe: RemoteProbe): DoctorFinding {
  const source =
    probe.credentials === 'environment'
      ? 'the token in PLANALIGN_SYNC_TOKEN'
      : probe.credentials === 'file'
        ? 'the token saved on this computer'
        : probe.credentials === 'credential-helper'
          ? "the credentials from Git's credential helper"
          : null;
  if (probe.writeRefusal) {
    return {
      check: 'credentials',
      status: 'problem',
      remote: name,
      summary: `${shown} lets this computer read${source ? ` with ${source}` : ''} but not push.`,
      detail: probe.writeRefusal.message,
      next:
        probe.writeRefusal instanceof SyncAuthError
          ? { action: 'update_token', remote: name }
          : (probe.writeRefusal.next ?? { action: 'update_token', remote: name }),
    };
  }
  if (probe.transport === 'ssh') {
    return { check: 'credentials', status: 'ok', remote: name, summary: `${shown} accepted this computer's SSH key for reading; a push checks writing.` };
  }
  return {
    check: 'credentials',
    status: 'ok',
    remote: name,
    summary: source ? `${shown} accepts ${source} for fetching and pushing.` : `${shown} asks for no credentials to fetch or push.`,
  };
}

/**
 * The server's `Date` header has whole seconds, so its time is taken as the middle of that
 * second; this computer's is the middle of the request (plus `offsetMs`, the tests' skew).
 */
function clockFinding(name: string, shown: string, probe: RemoteProbe, offsetMs: number): DoctorFinding | null {
  const serverMs = probe.serverDate ? Date.parse(probe.serverDate) : Number.NaN;
  if (Number.isNaN(serverMs)) return null;
  const seconds = Math.round((probe.localTimeMs + offsetMs - (serverMs + 500)) / 1000);
  if (Math.abs(seconds) < CLOCK_TOLERANCE_SECONDS) {
    return { check: 'clock', status: 'ok', remote: name, seconds, summary: `This computer's clock agrees with ${shown}'s server.` };
  }
  return {
    check: 'clock',
    status: 'warning',
    remote: name,
    seconds,
    summary: `This computer's clock is ${formatDuration(seconds)} ${seconds > 0 ? 'ahead of' : 'behind'} ${shown}'s server.`,
    detail:
      "When a file changed on two computers, last-write-wins keeps the newer change by the computers' clocks: " +
      'a clock this far off can make an older change win. The version that loses is kept as a backup either way.',
    next: { action: 'set_clock' },
  };
}
