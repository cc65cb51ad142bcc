import { conflict, invalidArgument, notFound } from '../../shared/errors';
import type {
  MetadataFolders,
  MetadataKeyInfo,
  MetadataNamespace,
  MetadataValue,
  Page,
} from '../../shared/types';
import type { Database } from 'lmdb';
import type { StoreEnv, StoredMetadata, WriteContext } from './env';
import type { SparsePositions } from './positions';
import { decodeCursor, encodeKey, indexCursor, namespacedKey, startingWith, type Key } from './keys';
import { iso } from './records';

/**
 * Docker's distribution metadata store (namespace + key -> bytes), kept in one LMDB database keyed by
 * [namespace, key]. Each value carries a version, the change sequence of the write that produced it, so an editor
 * can say "replace only what I read" and get `conflict` instead of overwriting someone else's change.
 */
const info = (key: string, s: StoredMetadata): MetadataKeyInfo => ({
  key,
  size: s.b.byteLength,
  version: s.v,
  updatedAt: iso(s.u),
});

export function namespaces(env: StoreEnv): MetadataNamespace[] {
  return [...env.countsUnder(['meta'])].map(({ key, value }) => ({
    namespace: key[1] as string,
    keys: value,
  }));
}

export function getValue(env: StoreEnv, namespace: string, key: string): MetadataValue {
  const s = env.dbs.metadata.get(namespacedKey(namespace, key));
  if (!s) throw notFound(`metadata key ${key} not found in namespace ${namespace}`);
  return {
    namespace,
    key,
    size: s.b.byteLength,
    version: s.v,
    updatedAt: iso(s.u),
    value: plainBytes(s.b),
  };
}

/**
 * The value as a plain Uint8Array (what the API declares; a Buffer would serialize differently), without copying it
 * again: lmdb-js already decoded it into a fresh copy (copyBuffers), which the view takes over.
 */
function plainBytes(b: Uint8Array): Uint8Array {
  if (b.constructor === Uint8Array) return b;
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength
    ? new Uint8Array(b.buffer, 0, b.byteLength)
    : new Uint8Array(b);
}

function checkVersion(
  current: StoredMetadata | undefined,
  expected: number | undefined,
  namespace: string,
  key: string,
): void {
  if (expected === undefined) return;
  const actual = current?.v ?? 0;
  if (actual !== expected) {
    throw conflict(
      actual === 0
        ? `metadata key ${key} in namespace ${namespace} no longer exists (expected version ${expected})`
        : `metadata key ${key} in namespace ${namespace} changed: it is at version ${actual}, not ${expected}`,
    );
  }
}

export function setValue(
  env: StoreEnv,
  ctx: WriteContext,
  input: { namespace: string; key: string; value: Uint8Array; expectedVersion?: number },
): MetadataKeyInfo {
  const stored = storeValue(env, ctx, input);
  if (stored.added) ctx.addCount(['meta', input.namespace], 1);
  return info(input.key, stored.value);
}

/** Writes one value; says whether the key is new (the caller counts it). */
function storeValue(
  env: StoreEnv,
  ctx: WriteContext,
  input: { namespace: string; key: string; value: Uint8Array; expectedVersion?: number },
): { value: StoredMetadata; added: boolean } {
  const current = env.dbs.metadata.get([input.namespace, input.key]);
  checkVersion(current, input.expectedVersion, input.namespace, input.key);
  const stored: StoredMetadata = { v: ctx.seq, u: ctx.now, b: input.value };
  env.dbs.metadata.put([input.namespace, input.key], stored);
  if (!current) ctx.keyChanged('metadata', 1, [input.namespace, input.key]);
  return { value: stored, added: !current };
}

/**
 * Many values in one transaction, for imports and the benchmark's batched writes: no API record per key (its ISO
 * time alone was ~4% of a 50k batch) and one count update for the batch.
 */
export function setValues(
  env: StoreEnv,
  ctx: WriteContext,
  namespace: string,
  entries: Iterable<[string, Uint8Array]>,
): number {
  let n = 0;
  let added = 0;
  for (const [key, value] of entries) {
    if (storeValue(env, ctx, { namespace, key, value }).added) added++;
    n++;
  }
  if (added > 0) ctx.addCount(['meta', namespace], added);
  return n;
}

export function deleteValue(
  env: StoreEnv,
  ctx: WriteContext,
  input: { namespace: string; key: string; expectedVersion?: number },
): number {
  const current = env.dbs.metadata.get([input.namespace, input.key]);
  if (!current) throw notFound(`metadata key ${input.key} not found in namespace ${input.namespace}`);
  checkVersion(current, input.expectedVersion, input.namespace, input.key);
  env.dbs.metadata.remove([input.namespace, input.key]);
  ctx.addCount(['meta', input.namespace], -1);
  ctx.keyChanged('metadata', -1, [input.namespace, input.key]);
  return 1;
}

/**
 * Prefix counts are a scan (about 0.5 s for a million keys), and a virtual list asks for the total with every page it
 * fetches: each count is kept until the store's next change (any process's), so scrolling a large prefix pays once.
 */
const prefixCounts = new WeakMap<StoreEnv, Map<string, { seq: number; n: number }>>();

export function countPrefix(env: StoreEnv, namespace: string, prefix: string): number {
  if (prefix === '') return env.count(['meta', namespace]);
  let memo = prefixCounts.get(env);
  if (!memo) prefixCounts.set(env, (memo = new Map()));
  const id = `${namespace}\0${prefix}`;
  const seq = env.changeSeq();
  const known = memo.get(id);
  if (known && known.seq === seq) return known.n;
  const n = env.dbs.metadata.getKeysCount(startingWith([namespace], prefix));
  if (memo.size >= 256) memo.delete(memo.keys().next().value!);
  memo.set(id, { seq, n });
  return n;
}

export function deletePrefix(
  env: StoreEnv,
  ctx: WriteContext | undefined,
  input: { namespace: string; prefix: string; dryRun: boolean },
): number {
  if (input.dryRun || !ctx) return countPrefix(env, input.namespace, input.prefix);
  let n = 0;
  for (const key of [...env.dbs.metadata.getKeys(startingWith([input.namespace], input.prefix))]) {
    env.dbs.metadata.remove(key);
    ctx.keyChanged('metadata', -1, key as Key);
    n++;
  }
  ctx.addCount(['meta', input.namespace], -n);
  return n;
}

/**
 * Keys under a prefix, in key order: a cursor continues with one seek; an offset jumps through the sparse position
 * index (samples kept until the next write), so row 900,000 of a namespace costs what row 100 does.
 */
export function listKeys(
  env: StoreEnv,
  positions: SparsePositions,
  q: { namespace: string; prefix: string; cursor?: string; offset?: number; limit: number },
): Page<MetadataKeyInfo> {
  const cursor = q.cursor !== undefined ? decodeCursor(q.cursor) : undefined;
  if (q.cursor !== undefined && (!cursor || cursor.k === undefined))
    throw invalidArgument('cursor is not one this store issued');
  const range = startingWith([q.namespace], q.prefix);
  const after = cursor ? Buffer.from(cursor.k!, 'hex') : undefined;
  const offset = cursor ? cursor.o : (q.offset ?? 0);
  const { start, skip, exclusive } = after
    ? { start: after, skip: 0, exclusive: undefined }
    : positions.locate(
        {
          space: 'metadata',
          db: env.dbs.metadata as Database<unknown, Key>,
          start: range.start,
          end: range.end,
          reverse: false,
        },
        offset,
      );
  const items: MetadataKeyInfo[] = [];
  let lastKey: Key | undefined;
  let more = false;
  for (const { key, value } of env.dbs.metadata.getRange({
    start,
    end: range.end,
    offset: skip,
    exclusiveStart: exclusive,
    snapshot: true,
  })) {
    if (after && lastKey === undefined && encodeKey(key as Key).equals(after)) continue;
    if (items.length === q.limit) {
      more = true;
      break;
    }
    items.push(info((key as [string, string])[1], value));
    lastKey = key as Key;
  }
  return {
    items,
    total: countPrefix(env, q.namespace, q.prefix),
    offset,
    nextCursor: indexCursor(offset + items.length, lastKey, more),
  };
}

/** Plain keys read between folders before the walk gives up (about a millisecond of reading). */
const folderScanBudget = 5000;

/**
 * The folders under a prefix, without reading the keys inside them: after finding folder `p/`, the walk seeks to
 * `p0` (`0` sorts right after `/`), so a namespace of a million `sha256/<hex>` keys costs one seek per folder. Plain
 * keys (no `/` after the prefix) are stepped over one by one, up to a budget.
 */
export function listFolders(
  env: StoreEnv,
  q: { namespace: string; prefix: string; limit: number },
): MetadataFolders {
  const range = startingWith([q.namespace], q.prefix);
  const folders: string[] = [];
  let start = range.start;
  let plain = 0;
  for (;;) {
    let next: Buffer | undefined;
    for (const key of env.dbs.metadata.getKeys({ start, end: range.end })) {
      const rest = (key as [string, string])[1].slice(q.prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) {
        if (++plain > folderScanBudget) return { folders, complete: false };
        continue;
      }
      const folder = q.prefix + rest.slice(0, slash + 1);
      if (folders.length === q.limit) return { folders, complete: false };
      folders.push(folder);
      next = encodeKey([q.namespace, `${folder.slice(0, -1)}0`]);
      break;
    }
    if (!next) return { folders, complete: true };
    start = next;
  }
}

export const metadataKeyCount = (env: StoreEnv) =>
  [...env.countsUnder(['meta'])].reduce((n, { value }) => n + value, 0);
