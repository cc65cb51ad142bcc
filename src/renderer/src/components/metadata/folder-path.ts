/** `a/b/c` -> the folders above it: [`a/`, `a/b/`]; a prefix ending in `/` includes itself. */
export function ancestors(prefix: string): string[] {
  const out: string[] = [];
  for (let at = prefix.indexOf('/'); at >= 0; at = prefix.indexOf('/', at + 1))
    out.push(prefix.slice(0, at + 1));
  return out;
}
