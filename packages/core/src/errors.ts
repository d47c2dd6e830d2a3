import type { NextStep } from './models/next-step.js';
import type { DeletionRisk } from './models/results.js';
import { EXIT_CODES } from './exit-codes.js';

export { EXIT_CODES };

/**
 * The error classes every front end maps to one CLI exit code and one HTTP status.
 * Messages are written for people: what happened, which file or remote, what to do.
 * They never contain a secret (see git/redact.ts for how URLs are cleaned first).
 */

export interface SyncErrorOptions {
  cause?: unknown;
  /** what the person can do about it; each front end words it (see models/next-step.ts) */
  next?: NextStep;
  /** the input the error is about, by its API field name (the CLI's flag of the same name) */
  field?: string;
}

export class SyncError extends Error {
  /** Stable machine-readable code, used in `--json` output and API error bodies. */
  readonly code: string = 'sync_error';
  readonly exitCode: number = EXIT_CODES.unexpected;
  readonly httpStatus: number = 500;
  readonly next: NextStep | null;
  readonly field: string | null;

  constructor(message: string, options: SyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.next = options.next ?? null;
    this.field = options.field ?? null;
  }

  /** What the error is about, as data a front end can use without reading the sentence. */
  get data(): Record<string, unknown> {
    return {};
  }

  /**
   * The body every front end sends (`--json` and the API's `{"error": …}`): code, message and
   * exit code, with the data both nested and, as before, beside them.
   */
  toJSON(): Record<string, unknown> {
    const data = this.data;
    const extra = { ...(this.next ? { next: this.next } : {}), ...(this.field ? { field: this.field } : {}) };
    return { code: this.code, message: this.message, exit_code: this.exitCode, ...extra, ...data, data };
  }
}

/** Credentials missing, wrong or refused by the remote. */
export class SyncAuthError extends SyncError {
  override readonly code: string = 'auth_failed';
  override readonly exitCode: number = EXIT_CODES.auth;
  override readonly httpStatus: number = 401;
  constructor(message: string, options: SyncErrorOptions = {}) {
    super(message, { next: { action: 'update_token' }, ...options });
  }
}

/**
 * A proxy between this computer and the remote wants a login (HTTP 407): the remote itself was
 * not asked. Exit 3 like any login refused; to the API's caller it is the remote being out of
 * reach (503), the API's own token not being in question.
 */
export class SyncProxyAuthError extends SyncAuthError {
  override readonly code: string = 'proxy_auth_failed';
  override readonly httpStatus: number = 503;
  constructor(message: string, options: SyncErrorOptions = {}) {
    super(message, { next: { action: 'proxy_login' }, ...options });
  }
}

/** The remote could not be reached or broke off; local work is untouched. */
export class SyncNetworkError extends SyncError {
  override readonly code: string = 'network';
  override readonly exitCode: number = EXIT_CODES.network;
  override readonly httpStatus: number = 503;
  constructor(message: string, options: SyncErrorOptions = {}) {
    super(message, { next: { action: 'check_connection' }, ...options });
  }
}

/** SyncNetworkError where the proxy in the way is what failed (not answering, or refusing the tunnel): its message names it. */
export class SyncProxyError extends SyncNetworkError {}

/** A conflict that the configured strategy leaves to the user. */
export class SyncConflictError extends SyncError {
  override readonly code: string = 'conflict';
  override readonly exitCode: number = EXIT_CODES.conflict;
  override readonly httpStatus: number = 409;
  constructor(
    message: string,
    readonly conflicting_files: string[],
    options: SyncErrorOptions = {},
  ) {
    super(message, options);
  }

  override get data(): Record<string, unknown> {
    return { conflicting_files: this.conflicting_files };
  }
}

/** Bad settings, flags or input: nothing was changed. */
export class SyncConfigError extends SyncError {
  override readonly code: string = 'invalid_configuration';
  override readonly exitCode: number = EXIT_CODES.usage;
  override readonly httpStatus: number = 422;
}

/**
 * A change of the branch a root already syncs, asked without confirmation: it would split this
 * computer from the others, so the caller must say it means it (HTTP 409).
 */
export class SyncBranchChangeError extends SyncConfigError {
  override readonly code: string = 'branch_change_unconfirmed';
  override readonly httpStatus: number = 409;
  constructor(
    message: string,
    readonly current: string,
    readonly requested: string,
    /** the branches the remote holds: what the other computers use */
    readonly remote_branches: string[],
  ) {
    super(message, { next: { action: 'confirm_branch_change', branch: requested } });
  }

  override get data(): Record<string, unknown> {
    return { current: this.current, requested: this.requested, remote_branches: this.remote_branches };
  }
}

/** A workspace, scenario, branch or version that does not exist: usage error, HTTP 404. */
export class SyncNotFoundError extends SyncConfigError {
  override readonly code: string = 'not_found';
  override readonly httpStatus: number = 404;
}

/** A branch with work the main line does not have, which deleting would throw away. */
export class SyncUnmergedWorkError extends SyncConfigError {
  override readonly code: string = 'unmerged_work';
  constructor(
    message: string,
    readonly commits: number,
    options: SyncErrorOptions = {},
  ) {
    super(message, options);
  }

  override get data(): Record<string, unknown> {
    return { commits: this.commits };
  }
}

/** The root has no sync repository yet. */
export class SyncNotInitializedError extends SyncError {
  override readonly code: string = 'not_initialized';
  override readonly exitCode: number = EXIT_CODES.notInitialized;
  override readonly httpStatus: number = 409;
}

/**
 * Bytes that are not what Git writes: a damaged object or pack here, or a pack a remote sent
 * that git would refuse. Nothing is stored from them and no ref moves.
 */
export class SyncCorruptDataError extends SyncError {
  override readonly code: string = 'corrupt_data';
}

/** Another sync holds this root's lock and did not finish in time. */
export class SyncBusyError extends SyncError {
  override readonly code: string = 'busy';
  override readonly exitCode: number = EXIT_CODES.busy;
  override readonly httpStatus: number = 423;
}

/**
 * A push that would delete whole workspaces or too many files, stopped before anything left the
 * machine (see sync/delete-guard.ts): a person allows it, or puts the files back.
 */
export class SyncDeleteGuardError extends SyncError {
  override readonly code: string = 'deletions_held';
  override readonly exitCode: number = EXIT_CODES.deletionsHeld;
  override readonly httpStatus: number = 409;
  constructor(
    message: string,
    readonly risk: DeletionRisk,
  ) {
    super(message, { next: { action: 'allow_delete' } });
  }

  override get data(): Record<string, unknown> {
    return { ...this.risk };
  }
}
