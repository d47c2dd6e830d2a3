/** `1 file`, `3 files`; words whose plural is not a plain `s` name it (`plural(2, 'branch', 'branches')`). */
export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}
