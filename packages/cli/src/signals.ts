/**
 * Resolves on the first Ctrl-C or SIGTERM (a service manager stopping us), so a long-running
 * command can finish what it is doing and stop cleanly. A second signal ends the process.
 */
export function untilStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
