/**
 * Whether git takes a name as a branch (`git check-ref-format --branch`), with the reason when
 * it does not. `HEAD` and `@` are refused too: git allows branches of those names, but they are
 * its own words for the current commit, and on a server such a branch is read wrongly by every tool. Pure, so the dashboard can check a
 * name as it is typed with the same rules.
 */
export function branchNameProblem(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (name === 'HEAD') return '"HEAD" names the current commit in git, not a branch';
  if (name.startsWith('-')) return 'it starts with "-"';
  if (name === '@') return '"@" alone is a git shorthand';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'it has an empty part between "/"';
  if (name.endsWith('.')) return 'it ends with "."';
  if (name.includes('..')) return 'it contains ".."';
  if (name.includes('@{')) return 'it contains "@{"';
  // Control characters, space, and the characters git gives a meaning in revisions and patterns.
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  const bad = /[\u0000-\u0020\u007f~^:?*[\\]/.exec(name);
  if (bad) return `it contains ${bad[0] === ' ' ? 'a space' : bad[0] < ' ' || bad[0] === '\u007f' ? 'a control character' : `"${bad[0]}"`}`;
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return `the part "${part}" starts with "."`;
    if (part.endsWith('.lock')) return `the part "${part}" ends with ".lock"`;
  }
  return null;
}

/**
 * Why a name cannot be a branch of one workspace: it is one path segment of letters, digits,
 * ".", "-" and "_", starting with a letter or digit, at most 63 characters, without "..", not
 * ending with "." or ".lock", and not the workspace's main line. Null when it can.
 */
export type WorkspaceBranchNameProblem = 'empty' | 'too-long' | 'first-character' | 'character' | 'double-dot' | 'ending' | 'main-line';

export const WORKSPACE_BRANCH_NAME_MAX_LENGTH = 63;

export function workspaceBranchNameProblem(name: string, mainLine?: string): WorkspaceBranchNameProblem | null {
  if (name.length === 0) return 'empty';
  if (name.length > WORKSPACE_BRANCH_NAME_MAX_LENGTH) return 'too-long';
  if (!/^[A-Za-z0-9]/.test(name)) return 'first-character';
  if (/[^A-Za-z0-9._-]/.test(name)) return 'character';
  if (name.includes('..')) return 'double-dot';
  if (name.endsWith('.') || name.endsWith('.lock')) return 'ending';
  if (name === mainLine) return 'main-line';
  return null;
}
