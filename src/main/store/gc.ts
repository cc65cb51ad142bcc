import type { GcResult } from '../../shared/types';
import { holdersOf, reachable, removeContent } from './content';
import type { StoreEnv, WriteContext } from './env';

/** Digests that images and trash entries point at: the roots of the content graph, with their reference counts. */
export function* roots(env: StoreEnv): Generator<string> {
  for (const { key } of env.countsUnder(['ref'])) yield key[1] as string;
}

/**
 * What would become unreachable below `starts` if the references in `dropped` went away: the content reachable from
 * the starts that no surviving image or trash entry reaches, through any path. Works outwards from the starts with the
 * reference counts and the parents index, so it costs what is examined, not the size of the store.
 */
function unreachableBelow(
  env: StoreEnv,
  starts: Iterable<string>,
  dropped: Map<string, number>,
): Set<string> {
  const candidates = reachable(env, starts);
  const liveMemo = new Map<string, boolean>();
  const refs = (digest: string) => env.count(['ref', digest]) - (dropped.get(digest) ?? 0);

  // Live: referenced by a surviving image or trash entry, or held by a live blob; `path` guards against cycles.
  const isLive = (digest: string, path: Set<string>): boolean => {
    const memo = liveMemo.get(digest);
    if (memo !== undefined) return memo;
    if (path.has(digest)) return false;
    let live = refs(digest) > 0;
    if (!live) {
      const inner = new Set(path).add(digest);
      for (const holder of holdersOf(env, digest)) {
        if (isLive(holder, inner)) {
          live = true;
          break;
        }
      }
    }
    // A cycle cut short can make a blob look dead from inside it; only a top-level answer or a live one is final.
    if (live || path.size === 0) liveMemo.set(digest, live);
    return live;
  };
  // Held from outside: a surviving reference, or a live holder that is not itself a candidate.
  const held = [...candidates].filter(
    (digest) =>
      refs(digest) > 0 ||
      [...holdersOf(env, digest)].some((holder) => !candidates.has(holder) && isLive(holder, new Set())),
  );
  const kept = reachable(env, held);
  return new Set([...candidates].filter((digest) => !kept.has(digest)));
}

/**
 * Bytes that GC would free if the given references (digest -> how many) went away, counting content that any other
 * image or trash entry still reaches as kept.
 */
export function reclaimable(env: StoreEnv, dropped: Map<string, number>): number {
  let bytes = 0;
  for (const digest of unreachableBelow(env, dropped.keys(), dropped)) {
    const stored = env.dbs.content.get(digest);
    if (stored?.p) bytes += stored.s;
  }
  return bytes;
}

/**
 * Content that no image and no trash entry reaches: what GC removes, with the bytes it frees. Content only becomes
 * garbage when its last reference goes or when it arrives unreferenced, and both queue it in `pending`; so GC
 * examines the queue and what it reaches instead of marking the whole store (`check` verifies the queue misses
 * nothing against a full mark).
 */
export function garbage(env: StoreEnv): GcResult {
  const digests: string[] = [];
  let bytes = 0;
  for (const digest of unreachableBelow(
    env,
    env.dbs.pending.getKeys({ snapshot: true }) as Iterable<string>,
    new Map(),
  )) {
    const stored = env.dbs.content.get(digest);
    if (!stored) continue;
    digests.push(digest);
    if (stored.p) bytes += stored.s;
  }
  return { digests: digests.sort(), bytes, dryRun: true };
}

export function collect(env: StoreEnv, ctx: WriteContext): GcResult {
  const { digests } = garbage(env);
  let bytes = 0;
  for (const digest of digests) bytes += removeContent(env, ctx, digest);
  // Everything queued was examined: what survived is reachable now and is queued again when that changes.
  for (const digest of [...env.dbs.pending.getKeys({ snapshot: true })]) env.dbs.pending.remove(digest);
  return { digests, bytes, dryRun: false };
}

/** The unreachable content a full mark from every root finds: what `check` compares the queue against. */
export function unreachableByFullMark(env: StoreEnv): string[] {
  const live = reachable(env, roots(env));
  return [...(env.dbs.content.getKeys({ snapshot: true }) as Iterable<string>)].filter(
    (digest) => !live.has(digest),
  );
}

export const contentCount = (env: StoreEnv) =>
  (env.dbs.content.getStats() as { entryCount: number }).entryCount;
