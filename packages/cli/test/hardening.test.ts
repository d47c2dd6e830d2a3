import { describe, expect, it } from 'vitest';
import { runKillSuite, runNetworkFaults } from '@planalign/sync-tools/fault-suite';
import { runSharedRootSoak, runSoak } from '@planalign/sync-tools/soak';

/**
 * The fast subset of `npm run faults` and `npm run soak`: the same suites with fewer rounds.
 * Every fault must end in its error class with local work intact and a later sync working.
 */
describe('hardening (fast subset of the fault and soak suites)', () => {
  it('each network fault gives its exit code, keeps local work, and a later sync succeeds', async () => {
    const outcomes = await runNetworkFaults();
    expect(outcomes.length).toBe(14);
    for (const o of outcomes) {
      const label = `${o.operation} · ${o.fault}: ${o.message}`;
      expect(o.exit, label).toBe(o.expected_exit);
      expect(o.local_work_intact, label).toBe(true);
      expect(o.repositories_sound, label).toBe(true);
      expect(o.later_sync_ok, label).toBe(true);
      expect(o.token_in_output, label).toBe(false);
    }
    // The messages name the class of problem in plain words.
    expect(outcomes.find((o) => o.fault.startsWith('HTTP 401'))?.message).toMatch(/refused the credentials/);
    expect(outcomes.find((o) => o.fault.startsWith('no answer'))?.message).toMatch(/stopped answering/);
    expect(outcomes.find((o) => o.fault.startsWith('HTTP 413'))?.message).toMatch(/too large/);
  }, 180_000);

  it('SIGKILL at random moments of push, pull, branch switch and merge, and conflict resolution loses nothing', async () => {
    const result = await runKillSuite({ rounds: 20, seed: Number(process.env.PLANALIGN_FAULT_SEED ?? 11) });
    expect(result.failures).toEqual([]);
    expect(result.files_lost).toEqual([]);
    expect(result.converged).toBe(true);
    expect(result.killed_mid_operation).toBeGreaterThan(10);
  }, 300_000);

  it('three machines syncing at once, with server errors injected: no other failure, convergence, every version kept', async () => {
    const result = await runSoak({ operations: 90, seed: 5, faultEvery: 15 });
    expect(result.failures).toEqual([]);
    expect(result.injected_faults).toBeGreaterThan(0);
    expect(result.versions_checked).toBeGreaterThan(20);
    expect(result.versions_missing).toBe(0);
    expect(result.converged).toBe(true);
    expect(result.repositories_sound).toBe(true);
  }, 300_000);

  it('the CLI, sync watch and the API on one root at once take turns without failing or damaging it', async () => {
    const result = await runSharedRootSoak({ seconds: 8, seed: 3 });
    expect(result.cli_failures).toEqual([]);
    expect(result.api_failures).toEqual([]);
    expect(result.cli_syncs).toBeGreaterThan(0);
    expect(result.api_syncs).toBeGreaterThan(0);
    expect(result.converged).toBe(true);
    expect(result.repositories_sound).toBe(true);
  }, 300_000);
});
