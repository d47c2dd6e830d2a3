import { spawnSync } from 'node:child_process';

/**
 * Dependency audit: `npm audit` of what the tool ships (no dev tools), failing on a known
 * high or critical advisory. When the registry's advisory service cannot be reached, it says
 * so (and exits 0 unless --strict), and lists the direct dependencies that are behind their
 * latest release, so staleness is visible either way. Its command line is `src/bin/audit.ts`.
 */
interface AuditReport {
  metadata?: { vulnerabilities?: Record<string, number> };
  vulnerabilities?: Record<string, { severity: string; via: unknown[]; range?: string }>;
  error?: { summary?: string };
}

/** Prints the advisories and the outdated direct dependencies; false when the audit fails (see above). */
export function runAudit(options: { strict: boolean }): boolean {
  const { strict } = options;
  let passed = true;
  const audit = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let report: AuditReport | null;
  try {
    report = JSON.parse(audit.stdout) as AuditReport;
  } catch {
    report = null;
  }
  const counts = report?.metadata?.vulnerabilities;
  if (!counts) {
    const said = audit.stderr
      .split('\n')
      .find((line) => /audit|\b\d{3}\b/.test(line))
      ?.replace(/^npm (warn|error) /, '')
      .trim();
    const reason = report?.error?.summary || said || 'no answer';
    process.stdout.write(`Advisory service not reachable from here (${reason}): no advisory could be checked.\n`);
    if (strict) passed = false;
  } else {
    const high = (counts.high ?? 0) + (counts.critical ?? 0);
    process.stdout.write(
      `Advisories for shipped dependencies: ${Object.entries(counts)
        .map(([level, n]) => `${level} ${n}`)
        .join(', ')}\n`,
    );
    for (const [name, finding] of Object.entries(report?.vulnerabilities ?? {})) {
      if (finding.severity === 'high' || finding.severity === 'critical') process.stdout.write(`  ${finding.severity}: ${name} ${finding.range ?? ''}\n`);
    }
    if (high > 0) passed = false;
  }
  const outdated = spawnSync('npm', ['outdated', '--json'], { encoding: 'utf8' });
  const behind = Object.entries((JSON.parse(outdated.stdout || '{}') as Record<string, { current?: string; wanted?: string; latest?: string }>) ?? {});
  process.stdout.write(behind.length ? 'Direct dependencies behind their latest release:\n' : 'Every direct dependency is at its latest release.\n');
  for (const [name, versions] of behind)
    process.stdout.write(`  ${name}: ${versions.current ?? 'missing'} (wanted ${versions.wanted}, latest ${versions.latest})\n`);
  return passed;
}
