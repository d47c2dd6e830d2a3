import type { NextStep } from '@planalign/sync-core';

const STRATEGIES = '--strategy keep-local|keep-remote|last-write-wins';

/** Core's next step in the command line's words: the command to run. */
export function nextStepSentence(step: NextStep): string {
  const workspace = `"${step.workspace ?? '<workspace>'}"`;
  switch (step.action) {
    case 'set_up_sync':
      return "Run 'planalign sync init --remote <url>' first (or pass --root to choose another folder).";
    case 'push':
      return "Run 'planalign sync push' once first.";
    case 'sync_again':
      return "Run 'planalign sync push' again.";
    case 'choose_strategy':
      return `Run it again with ${STRATEGIES} (the other version is kept as a backup).`;
    case 'choose_versions':
      return `Choose a version with 'planalign sync conflicts resolve <file> --use local|remote', or sync again with ${STRATEGIES}.`;
    case 'allow_delete':
      return 'If that is what you want, run it again with --allow-delete.';
    case 'list_conflicts':
      return "Run 'planalign sync conflicts' to list open conflicts and the backups kept.";
    case 'change_address':
      return "Set the repository's address with 'planalign sync init --remote <url>'.";
    case 'list_remotes':
      return "See them with 'planalign sync remote list'.";
    case 'add_to_remote':
      return `Add it with 'planalign sync remote add ${step.remote} ${step.url ?? '<url>'} --workspaces ${(step.workspaces ?? []).join(',')}'.`;
    case 'include_everywhere':
      return `Run 'planalign sync include ${workspace} --everywhere' and push first.`;
    case 'switch_branch':
      return `Switch with 'planalign sync branch switch ${workspace} ${step.branch}'.`;
    case 'delete_anyway':
      return `To delete it anyway, run 'planalign sync branch delete ${workspace} ${step.branch} --force'.`;
    case 'list_branches':
      return `See its branches with 'planalign sync branch list ${workspace}'.`;
    case 'list_versions':
      return "See the versions with 'planalign sync history <workspace> <scenario>'.";
    case 'list_jobs':
      return "Run 'planalign sync jobs' to list them.";
    case 'copy_link_again':
      return "Copy it again: the sender gets it from 'planalign sync share'.";
    case 'choose_workspace':
      return 'Say which with --workspace.';
    case 'confirm_branch_change':
      return 'To move anyway, run it again with --change-branch.';
    case 'fix_settings':
      return "Fix the file, or delete it and run 'planalign sync init' again.";
  }
}

const FLAGS: Record<string, string> = { remote: '--remote', branch: '--branch', use: '--use', workspace: '--workspace', email: '--email' };

/** The flag an error's field is given with, when the command line has one of that name. */
export function flagOf(field: string | null): string | null {
  return field ? (FLAGS[field] ?? null) : null;
}
