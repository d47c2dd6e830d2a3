/** The exit code of each outcome of a `planalign` command; the API maps the same errors to HTTP statuses. */
export const EXIT_CODES = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  auth: 3,
  network: 4,
  conflict: 5,
  notInitialized: 6,
  busy: 7,
  /** `sync doctor` found something a person should look at */
  needsAttention: 8,
  /** a push held back: it would delete whole workspaces or too many files (`--allow-delete`) */
  deletionsHeld: 9,
} as const;
