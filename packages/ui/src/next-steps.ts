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
  }
}
