import type { GcResult } from '../../shared/types';
import type { StoreEnv, WriteContext } from './env';
import { holdersOf, reachable, removeContent } from './content';

/** Digests that images and trash entries point at, with how many of them do: the roots of the content graph. */
export function* roots(env: StoreEnv): Generator<string> {
  for (const { key } of env.countsUnder(['ref'])) yield key[1] as string;
}

/** Content that no image and no trash entry reaches: what GC removes, with the bytes it frees. */
export function garbage(env: StoreEnv): GcResult {
  const live = reachable(env, roots(env));
  const digests: string[] = [];
  let bytes = 0;
  for (const { key, value } of env.dbs.content.getRange({ snapshot: true })) {
    if (live.has(key)) continue;
    digests.push(key);
    if (value.p) bytes += value.s;
  }
  return { digests, bytes, dryRun: true };
}

export function collect(env: StoreEnv, ctx: WriteContext): GcResult {
  const { digests } = garbage(env);
  let bytes = 0;
  for (const digest of digests) bytes += removeContent(env, ctx, digest);
  return { digests, bytes, dryRun: false };
}

/**
 * Bytes that GC would free if the given roots went away (each digest -> how many references are dropped), counting
 * content that any other image or trash entry still reaches as kept. Works from the dropped roots outwards with the
 * reference counts and the parents index, so its cost follows the size of what is deleted, not of the store.
 */
export function reclaimable(env: StoreEnv, dropped: Map<string, number>): number {
  const candidates = reachable(env, dropped.keys());
  const liveMemo = new Map<string, boolean>();

  // Is `digest` reached by something that survives the deletion? Looks up through holders outside the candidates.
  const heldFromOutside = (digest: string): boolean => {
    if (env.count(['ref', digest]) > (dropped.get(digest) ?? 0)) return true;
    for (const holder of holdersOf(env, digest)) {
      if (!candidates.has(holder) && isLive(holder, new Set([digest]))) return true;
    }
    return false;
  };
  const isLive = (digest: string, path: Set<string>): boolean => {
    const memo = liveMemo.get(digest);
    if (memo !== undefined) return memo;
    if (path.has(digest)) return false;
    let live = env.count(['ref', digest]) > 0;
    if (!live) {
      const inner = new Set(path).add(digest);
      for (const holder of holdersOf(env, digest)) {
        if (isLive(holder, inner)) {
          live = true;
          break;
        }
      }
    }
    liveMemo.set(digest, live);
    return live;
  };

  const held = [...candidates].filter(heldFromOutside);
  const kept = reachable(env, held);
  let bytes = 0;
  for (const digest of candidates) {
    if (kept.has(digest)) continue;
    const stored = env.dbs.content.get(digest);
    if (stored?.p) bytes += stored.s;
  }
  return bytes;
}

export const contentCount = (env: StoreEnv) =>
  (env.dbs.content.getStats() as { entryCount: number }).entryCount;
