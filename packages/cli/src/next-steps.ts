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
    case 'update_token':
      return (
        `Give sync a token that may read and write the repository with 'planalign sync login${step.remote && step.remote !== 'origin' ? ` --remote ${step.remote}` : ''} --with-token' ` +
        "(PLANALIGN_SYNC_TOKEN, when set, is used instead); 'planalign sync auth' says which token is used."
      );
    case 'check_connection':
      return "Check the network, any proxy (HTTPS_PROXY or HTTP_PROXY, NO_PROXY, git's http.proxy) and the address; 'planalign sync init --remote <url>' changes the address.";
    case 'proxy_login':
      return "Ask IT for the proxy's login if you do not have it; 'planalign sync doctor' checks the connection again. The token for the remote is not in question.";
    case 'remove_stale_lock':
      return "The next sync removes it by itself; 'planalign sync doctor --fix-lock' removes it now.";
    case 'end_stuck_sync':
      return 'If that process is stuck, end it; the next sync then removes its lock.';
    case 'finish_git_operation':
      return 'Finish or cancel what git is doing in the root (git commit, or git merge --abort); if no git command is running, delete .git/index.lock.';
    case 'rebuild_index':
      return (
        "Have git rewrite the index: 'git update-index --no-split-index' for a split index, 'git sparse-checkout disable' for a sparse one, " +
        "or delete .git/index and run 'git reset' when it is damaged."
      );
    case 'repair_repository':
      return (
        "'git fsck --full' in the root lists the damage. To start again from the remote, run " +
        "'planalign sync init --remote <url> --root <empty folder>' and copy over any work that had not synced."
      );
    case 'set_clock':
      return "Turn on automatic date and time (network time) in this computer's settings.";
    case 'free_disk_space':
      return "Free space on the disk that holds the root; results deleted to make room can be rebuilt with 'planalign sync regenerate'.";
    case 'shrink_repository':
      return 'Take the large files out of the history (git filter-repo, then set up every computer again), or use a host with larger limits.';
    case 'fix_skipped_files':
      return (
        'Fix or remove the files listed (a file still being written syncs once it is complete); ' +
        'for large ones, raise sync.max_file_size_mb in .planalign-sync.yaml.'
      );
    case 'list_archived':
      return "See them with 'planalign sync archived'.";
  }
}

const FLAGS: Record<string, string> = { remote: '--remote', branch: '--branch', use: '--use', workspace: '--workspace', email: '--email' };

/** The flag an error's field is given with, when the command line has one of that name. */
export function flagOf(field: string | null): string | null {
  return field ? (FLAGS[field] ?? null) : null;
}
