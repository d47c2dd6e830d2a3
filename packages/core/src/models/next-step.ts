import { lazySchema } from './lazy-schema.js';
import { z } from 'zod';

/**
 * What a person can do next after an error or a result, as data. Core says what happened; each
 * front end turns the step into its own words: the CLI names the command, the dashboard the
 * button. The fields beside `action` are what the step is about.
 */
export const NextStep = lazySchema(() =>
  z.object({
    action: z.enum([
      /** connect this root to a remote (`sync init --remote`, the set-up form) */
      'set_up_sync',
      /** push what this computer has, so that the step that failed has something to work on */
      'push',
      /** sync again: the failure was passing */
      'sync_again',
      /** sync (or merge) again with a conflict strategy that decides the files in conflict */
      'choose_strategy',
      /** choose a version for each conflicting file, or sync again with a strategy */
      'choose_versions',
      /** send the deletions after all, having checked they are meant */
      'allow_delete',
      /** see the open conflicts and the backups kept */
      'list_conflicts',
      /** give this root the repository's right (or new) address */
      'change_address',
      /** see this root's remotes */
      'list_remotes',
      /** add the workspace to the team remote's list */
      'add_to_remote',
      /** include the workspace in sync on every computer, then push */
      'include_everywhere',
      /** switch the workspace to the branch named */
      'switch_branch',
      /** delete the branch although the main branch lacks some of its work */
      'delete_anyway',
      /** see the workspace's branches */
      'list_branches',
      /** see the scenario's versions */
      'list_versions',
      /** see the regeneration jobs */
      'list_jobs',
      /** copy the share link again from the person who sent it */
      'copy_link_again',
      /** name the workspace to import */
      'choose_workspace',
      /** repeat the request, confirming the change of branch */
      'confirm_branch_change',
      /** fix or delete the settings file named, then set up sync again */
      'fix_settings',
      /** give sync a token (or credential) the remote accepts for reading and writing */
      'update_token',
      /** check the network, the address and any proxy between this computer and the remote */
      'check_connection',
      /** give the proxy between this computer and the remote the login it asks for */
      'proxy_login',
      /** remove the lock a sync that is gone left behind (doctor reports it; removing it is asked for separately) */
      'remove_stale_lock',
      /** a sync has held the lock for a long time and may be stuck: end that process */
      'end_stuck_sync',
      /** a Git program left work under way in the root (a merge, index.lock): finish or cancel it */
      'finish_git_operation',
      /** have Git rewrite its index in a form sync reads (sync works meanwhile, reading every file) */
      'rebuild_index',
      /** the local repository is damaged: list the damage, then set this computer up again from the remote */
      'repair_repository',
      /** set this computer's clock right (automatic time) */
      'set_clock',
      /** free space on the disk that holds the workspaces */
      'free_disk_space',
      /** take large files out of the repository's history, or use a host that takes them */
      'shrink_repository',
      /** fix, shrink or remove the files listed so that they sync */
      'fix_skipped_files',
      /** see the archived workspaces */
      'list_archived',
    ]),
    workspace: z.string().optional(),
    branch: z.string().optional(),
    remote: z.string().optional(),
    /** the team remote's address (without credentials), for `add_to_remote` */
    url: z.string().optional(),
    /** the workspaces a team remote should carry, for `add_to_remote` */
    workspaces: z.array(z.string()).optional(),
  }),
);
export type NextStep = z.infer<typeof NextStep>;
export type NextAction = NextStep['action'];
