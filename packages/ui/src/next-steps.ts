import type { NextStep } from '@planalign/sync-core';

/** Core's next step in the dashboard's words: where to click, never a command. */
export function nextStepWords(step: NextStep): string {
  const workspace = step.workspace ? `“${step.workspace}”` : 'the workspace';
  switch (step.action) {
    case 'set_up_sync':
      return 'Connect this computer under Settings first.';
    case 'push':
      return 'Sync once first.';
    case 'sync_again':
      return 'Sync again.';
    case 'choose_strategy':
      return 'Choose which version wins and try again; the other version is kept as a backup.';
    case 'choose_versions':
      return 'Choose which version to keep under Conflicts.';
    case 'allow_delete':
      return 'If that is what you want, confirm to remove them from the other computers too.';
    case 'list_conflicts':
      return 'Conflicts lists the open ones and the versions kept.';
    case 'change_address':
      return 'Check the repository address under Settings.';
    case 'list_remotes':
      return 'Settings lists the shared copies this computer syncs with.';
    case 'add_to_remote':
      return `Add ${workspace} to “${step.remote}” first.`;
    case 'include_everywhere':
      return `Turn on sync for ${workspace} on every computer, then sync.`;
    case 'switch_branch':
      return `Switch ${workspace} to “${step.branch}” first.`;
    case 'delete_anyway':
      return 'Delete it anyway only if that work can go.';
    case 'list_branches':
      return `The what-if versions of ${workspace} are listed with it.`;
    case 'list_versions':
      return "Pick a version from the scenario's history.";
    case 'list_jobs':
      return 'Rebuilds lists the current jobs.';
    case 'copy_link_again':
      return 'Ask the person who sent it for the link again.';
    case 'choose_workspace':
      return step.workspaces?.length ? `Pick one: ${step.workspaces.map((name) => `“${name}”`).join(', ')}.` : 'Pick a workspace.';
    case 'confirm_branch_change':
      return 'Confirm to move anyway.';
    case 'fix_settings':
      return 'Fix the settings file, or delete it and connect again.';
    case 'update_token':
      return 'Get a new access token for the shared copy that can read and write it, then enter it with Update access token.';
    case 'check_connection':
      return 'Check that this computer is online, then check again; if it stays, check the shared copy’s address under Settings.';
    case 'proxy_login':
      return 'Ask IT to let PlanAlign through the company network’s proxy, or for the proxy’s sign-in; your access token is fine.';
    case 'remove_stale_lock':
      return 'Nothing to do: the next sync clears it by itself.';
    case 'end_stuck_sync':
      return 'A sync seems stuck on this computer: close PlanAlign (or restart the computer), then sync again.';
    case 'finish_git_operation':
      return 'Another program is changing the workspaces folder’s history: let it finish, or ask whoever set up sync.';
    case 'rebuild_index':
      return 'Sync still works, only more slowly; ask whoever set up sync to repair it if it stays slow.';
    case 'repair_repository':
      return 'Your workspace files are fine, but the sync history on this computer is damaged: ask whoever set up sync to connect it again.';
    case 'set_clock':
      return 'Set this computer’s date and time to update automatically.';
    case 'free_disk_space':
      return 'Free some space on this computer’s disk; results you delete can be rebuilt under Results.';
    case 'shrink_repository':
      return 'The shared copy is growing too large for where it is kept: ask whoever set it up to remove large files from it.';
    case 'fix_skipped_files':
      return 'Fix or remove the files listed; a file still being saved syncs once it is complete.';
    case 'list_archived':
      return 'Archived workspaces are listed under Workspaces, each with Bring back.';
  }
}
