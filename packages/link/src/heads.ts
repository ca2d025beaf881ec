/**
 * Heads arithmetic for cursors. A cursor is the set of heads a peer is known to have; sending or
 * receiving a causally closed set of changes advances it without looking at the document.
 */

export interface ChangeRef {
  hash: string
  deps: string[]
}

/** The heads of (the history up to `heads`) ∪ `changes`, given `changes` is closed over its deps. */
export function advanceHeads(heads: readonly string[], changes: readonly ChangeRef[]): string[] {
  const covered = new Set<string>()
  for (const c of changes) for (const d of c.deps) covered.add(d)
  const next = new Set<string>()
  for (const h of heads) if (!covered.has(h)) next.add(h)
  for (const c of changes) if (!covered.has(c.hash)) next.add(c.hash)
  return [...next].sort()
}

export function sameHeads(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  const sa = [...a].sort()
  const sb = [...b].sort()
  return sa.every((h, i) => h === sb[i])
}
