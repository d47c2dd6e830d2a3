import type { GitRepository } from './repository.js';

/** The commits of `within` reachable from `tip`, each after its parents. */
export async function parentsFirst(repo: GitRepository, tip: string, within: Set<string>): Promise<string[]> {
  const order: string[] = [];
  const visited = new Set<string>();
  const stack: { oid: string; expanded: boolean }[] = [{ oid: tip, expanded: false }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (top.expanded) {
      order.push(top.oid);
      continue;
    }
    if (visited.has(top.oid) || !within.has(top.oid)) continue;
    visited.add(top.oid);
    stack.push({ oid: top.oid, expanded: true });
    for (const parent of (await repo.readCommit(top.oid)).parents) stack.push({ oid: parent, expanded: false });
  }
  return order;
}
