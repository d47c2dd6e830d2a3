import * as z from 'zod';
import { lazySchema } from './lazy-schema.js';
import { NextStep } from './next-step.js';

/**
 * What `doctor` looks at, one id per thing that makes a sync fail. Front ends word each id in
 * their own terms; the sentence in a finding is core's account of what it found.
 */
export const DOCTOR_CHECKS = [
  /** whether sync is set up here: a repository, readable settings, a remote */
  'setup',
  /** whether the remote answers */
  'remote',
  /** whether the remote accepts this computer's credentials, for reading and for writing */
  'credentials',
  /** this computer's clock against the remote server's (last-write-wins compares times) */
  'clock',
  /** the lock that lets one sync at a time run on this root */
  'lock',
  /** a file update (pull, merge, branch switch) cut off half-way, which the next sync finishes */
  'checkout',
  /** Git's index of the working files: readable, no native merge or lock left in it */
  'index',
  /** every object reachable from every ref reads back whole */
  'objects',
  /** the repository and its largest file against what Git hosts accept */
  'repository_size',
  /** free space on the disk holding the root */
  'disk_space',
  /** files the sync rules cover that are not synced (too large, unreadable, half-written) */
  'skipped_files',
  /** when this computer last synced */
  'last_sync',
] as const;
export const DoctorCheck = lazySchema(() => z.enum(DOCTOR_CHECKS));
export type DoctorCheck = z.infer<typeof DoctorCheck>;

/** `skipped`: the check could not run (its reason is the summary); `warning`: sync works but needs a look; `problem`: sync fails. */
export const FindingStatus = lazySchema(() => z.enum(['ok', 'warning', 'problem', 'skipped']));
export type FindingStatus = z.infer<typeof FindingStatus>;

export const DoctorFinding = lazySchema(() =>
  z.object({
    check: DoctorCheck,
    status: FindingStatus,
    /** one sentence: what was found */
    summary: z.string(),
    /** more of what was found: which files, which objects, what the server said */
    detail: z.string().optional(),
    /** what the person can do about it (see next-step.ts); each front end words it */
    next: NextStep.optional(),
    /** the remote the finding is about (`origin` or a team remote's name), for remote, credentials and clock */
    remote: z.string().optional(),
    /** clock: seconds this computer is ahead of the server (behind when negative); lock and last_sync: age in seconds */
    seconds: z.number().optional(),
    /** disk_space: bytes free; repository_size: bytes the repository takes on disk */
    bytes: z.number().nonnegative().optional(),
    /** repository_size: the largest file in the history, in bytes */
    largest_file_bytes: z.number().nonnegative().optional(),
    /** skipped_files: the files; objects: what is damaged or missing; repository_size: the largest file */
    paths: z.array(z.string()).optional(),
    /** lock: when it was taken; last_sync: when the last sync succeeded (ISO 8601) */
    since: z.string().optional(),
  }),
);
export type DoctorFinding = z.infer<typeof DoctorFinding>;

/** What `doctor` found: healthy when every check that ran is ok. Nothing is changed to find it. */
export const DoctorReport = lazySchema(() =>
  z.object({
    healthy: z.boolean(),
    checked_at: z.string(),
    findings: z.array(DoctorFinding),
  }),
);
export type DoctorReport = z.infer<typeof DoctorReport>;
