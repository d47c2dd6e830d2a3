import { z } from 'zod';

/**
 * What a person can do next after an error or a result, as data. Core says what happened; each
 * front end turns the step into its own words: the CLI names the command, the dashboard the
 * button. The fields beside `action` are what the step is about.
 */
export const NextStep = z.object({
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
  ]),
  workspace: z.string().optional(),
  branch: z.string().optional(),
  remote: z.string().optional(),
  /** the team remote's address (without credentials), for `add_to_remote` */
  url: z.string().optional(),
  /** the workspaces a team remote should carry, for `add_to_remote` */
  workspaces: z.array(z.string()).optional(),
});
export type NextStep = z.infer<typeof NextStep>;
export type NextAction = NextStep['action'];
