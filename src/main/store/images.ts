import { createHash } from 'node:crypto';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../../shared/errors';
import { labelsSchema } from '../../shared/schemas';
import { check } from '../../shared/validate';
import type {
  Descriptor,
  ImageFilter,
  ImageRecord,
  ImageRef,
  Labels,
  Page,
  SortField,
  SortOrder,
} from '../../shared/types';
import type { Database } from 'lmdb';
import type { StoreEnv, StoredImage, WriteContext } from './env';
import type { SparsePositions } from './positions';
import { childrenOf, decodeCursor, encodeKey, namespacedKey, indexCursor, type Key } from './keys';
import { toImageRecord } from './records';

/**
 * Secondary index keys of one image, all in the `index` database. Sorting in one namespace by name uses the primary
 * `images` keys themselves; every other order has its own index so that a page costs one range seek.
 *   ['n*', name, ns]          -> NameSummary                        all namespaces by name; covers the catalog and a page
 *   ['c', ns, created, name]  ['c*', created, ns, name]             by created
 *   ['s', ns, size, name]     ['s*', size, ns, name]                by total size
 *   ['d', digest, ns, name]                                          by target digest (tags, GC roots, referrers)
 *   ['l', ns, 'k=v', name]    ['l*', 'k=v', name, ns]               by label
 */
export type CatalogSummary = [created: number, size: number, mediaType: string, labels: string[]];

/**
 * The value of an image's ['n*', name, ns] entry: what the catalog needs, then the rest of the API record, so that a
 * page in name order is one range read instead of a read per image (100 random record reads were about half of a
 * first page's time). Stores written before hold the catalog's four fields only: their pages read the records.
 */
export type NameSummary = CatalogSummary | [...CatalogSummary, updated: number, target: Descriptor];

export const nameSummary = (s: StoredImage): NameSummary => [
  s.c,
  s.z,
  s.t.mediaType,
  labelPairs(s.l),
  s.u,
  s.t,
];

/** The API record a full name summary covers; undefined for an older store's short one. */
function recordFromSummary(ns: string, name: string, summary: NameSummary): ImageRecord | undefined {
  if (summary.length < 6) return undefined;
  const [c, z, , pairs, u, t] = summary as [...CatalogSummary, number, Descriptor];
  // Label keys never contain '=' (labelKeySchema): the first one ends the key. fromEntries defines own properties,
  // whatever a key says.
  const labels: Labels = Object.fromEntries(
    pairs.map((pair) => {
      const eq = pair.indexOf('=');
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
  return toImageRecord(ns, name, { t, l: labels, c, u, z });
}

export const labelPairs = (labels: Labels) => Object.entries(labels).map(([k, v]) => `${k}=${v}`);

/**
 * A label pair as it appears in index and count keys. containerd allows labels of up to 4 KiB, more than an LMDB key
 * can hold beside a namespace and a name, so a long pair is indexed as its first 512 characters, a DEL, U+007F (which no
 * label may contain, so no real pair can look like this) and the sha256 of the whole pair: exact-match filters still
 * find exactly the images that carry it.
 */
export function indexedPair(pair: string): string {
  if (Buffer.byteLength(pair) <= indexedPairBytes) return pair;
  return `${pair.slice(0, 512)}\u007f${createHash('sha256').update(pair).digest('hex')}`;
}
const indexedPairBytes = 1024;

export const indexedPairs = (labels: Labels) => labelPairs(labels).map(indexedPair);

function indexEntries(ns: string, name: string, s: StoredImage): [Key, unknown][] {
  const entries: [Key, unknown][] = [
    [['n*', name, ns], nameSummary(s)],
    [['c', ns, s.c, name], true],
    [['c*', s.c, ns, name], true],
    [['s', ns, s.z, name], true],
    [['s*', s.z, ns, name], true],
    [['d', s.t.digest, ns, name], true],
  ];
  for (const pair of indexedPairs(s.l)) {
    entries.push([['l', ns, pair, name], true], [['l*', pair, name, ns], true]);
  }
  return entries;
}

function countKeys(ns: string, s: StoredImage): Key[] {
  const keys: Key[] = [['images', ns], ['images*'], ['ref', s.t.digest]];
  for (const pair of indexedPairs(s.l)) keys.push(['label', ns, pair], ['label*', pair]);
  return keys;
}

/** Writes a record with every index entry and count it implies. */
export function putImage(env: StoreEnv, ctx: WriteContext, ns: string, name: string, s: StoredImage): void {
  env.dbs.images.put([ns, name], s);
  ctx.keyChanged('images', 1, [ns, name]);
  for (const [key, value] of indexEntries(ns, name, s)) {
    env.dbs.index.put(key, value);
    ctx.keyChanged('index', 1, key);
  }
  for (const key of countKeys(ns, s)) ctx.addCount(key, 1);
  ctx.imageChanged(ns, name);
}

export function removeImage(
  env: StoreEnv,
  ctx: WriteContext,
  ns: string,
  name: string,
  s: StoredImage,
): void {
  env.dbs.images.remove([ns, name]);
  ctx.keyChanged('images', -1, [ns, name]);
  for (const [key] of indexEntries(ns, name, s)) {
    env.dbs.index.remove(key);
    ctx.keyChanged('index', -1, key);
  }
  for (const key of countKeys(ns, s)) ctx.addCount(key, -1);
  ctx.imageChanged(ns, name);
}

export function replaceImage(
  env: StoreEnv,
  ctx: WriteContext,
  ns: string,
  name: string,
  before: StoredImage,
  after: StoredImage,
): void {
  removeImage(env, ctx, ns, name, before);
  putImage(env, ctx, ns, name, after);
}

export function getStored(env: StoreEnv, ref: ImageRef): StoredImage {
  const s = env.dbs.images.get(namespacedKey(ref.namespace, ref.name));
  if (!s) throw notFound(`image ${ref.name} not found in namespace ${ref.namespace}`);
  return s;
}

export const getImage = (env: StoreEnv, ref: ImageRef): ImageRecord =>
  toImageRecord(ref.namespace, ref.name, getStored(env, ref));

/**
 * Bytes of the target and every blob it reaches, from the descriptors of the stored manifests and indexes, each
 * digest counted once (layers shared by two platforms of an index are one set of bytes).
 */
export function treeSize(env: StoreEnv, target: Descriptor): number {
  const seen = new Set<string>([target.digest]);
  let total = target.size;
  const queue = [target.digest];
  while (queue.length > 0 && seen.size < 10_000) {
    const content = env.dbs.content.get(queue.pop()!);
    if (!content) continue;
    for (const [role, child] of content.k) {
      // A referrer's subject is another image, not part of this one.
      if (role === 'subject' || seen.has(child.digest)) continue;
      seen.add(child.digest);
      total += child.size;
      queue.push(child.digest);
    }
  }
  return total;
}

export interface NewImage extends ImageRef {
  target: Descriptor;
  labels: Labels;
}

/** Writes a new record; the caller gets the stored shape (importers and bulk loads do not need an API record). */
export function insertImage(
  env: StoreEnv,
  ctx: WriteContext,
  image: NewImage,
  times?: { createdAt: number; updatedAt: number },
): StoredImage {
  if (env.dbs.images.get([image.namespace, image.name])) {
    throw alreadyExists(`image ${image.name} already exists in namespace ${image.namespace}`);
  }
  const s: StoredImage = {
    t: image.target,
    l: image.labels,
    c: times?.createdAt ?? ctx.now,
    u: times?.updatedAt ?? ctx.now,
    z: treeSize(env, image.target),
  };
  putImage(env, ctx, image.namespace, image.name, s);
  return s;
}

export const createImage = (
  env: StoreEnv,
  ctx: WriteContext,
  image: NewImage,
  times?: { createdAt: number; updatedAt: number },
): ImageRecord => toImageRecord(image.namespace, image.name, insertImage(env, ctx, image, times));

export function updateImage(
  env: StoreEnv,
  ctx: WriteContext,
  ref: ImageRef,
  change: { target?: Descriptor; labels?: Labels },
): ImageRecord {
  const before = getStored(env, ref);
  const target = change.target ?? before.t;
  const after: StoredImage = {
    t: target,
    l: change.labels ?? before.l,
    c: before.c,
    u: ctx.now,
    z: change.target ? treeSize(env, target) : before.z,
  };
  replaceImage(env, ctx, ref.namespace, ref.name, before, after);
  return toImageRecord(ref.namespace, ref.name, after);
}

export function editLabels(
  env: StoreEnv,
  ctx: WriteContext,
  ref: ImageRef,
  set: Labels,
  remove: string[],
): ImageRecord {
  const before = getStored(env, ref);
  const labels = { ...before.l, ...set };
  for (const key of remove) delete labels[key];
  const checked = check(labelsSchema, labels);
  if (!checked.ok) throw invalidArgument(`labels of ${ref.name}: ${checked.problem}`);
  return updateImage(env, ctx, ref, { labels });
}

export function tagImage(
  env: StoreEnv,
  ctx: WriteContext,
  namespace: string,
  source: string,
  name: string,
): ImageRecord {
  const from = getStored(env, { namespace, name: source });
  return createImage(env, ctx, { namespace, name, target: from.t, labels: { ...from.l } });
}

/** Images whose target is `digest`: for size refreshes, and for what a blob is part of. */
export function* imagesTargeting(env: StoreEnv, digest: string): Generator<ImageRef> {
  for (const key of env.dbs.index.getKeys(childrenOf(['d', digest]))) {
    const [, , namespace, name] = key as [string, string, string, string];
    yield { namespace, name };
  }
}

/** After a manifest or index arrives, the totals of the images that reach it change. */
export function refreshSizes(env: StoreEnv, ctx: WriteContext, digests: Iterable<string>): void {
  for (const digest of digests) {
    for (const ref of [...imagesTargeting(env, digest)]) {
      const before = getStored(env, ref);
      const z = treeSize(env, before.t);
      if (z !== before.z) replaceImage(env, ctx, ref.namespace, ref.name, before, { ...before, z });
    }
  }
}

// ---- listing through the indexes ----------------------------------------------------------------------------

export interface ListQuery {
  namespace?: string;
  filter?: ImageFilter;
  sort: SortField;
  order: SortOrder;
  cursor?: string;
  offset?: number;
  limit: number;
}

/** The index range that yields a query's images in order, or undefined when only the catalog can answer it. */
function indexPlan(
  q: ListQuery,
): { db: 'images' | 'index'; prefix: Key[]; refOf: (key: Key[]) => ImageRef; countKey: Key } | undefined {
  const f = q.filter ?? {};
  const labels = f.labels ?? [];
  if ((f.name ?? '') !== '' || f.mediaType !== undefined || f.dangling !== undefined || labels.length > 1)
    return undefined;
  const ns = q.namespace;
  if (labels.length === 1) {
    if (q.sort !== 'name') return undefined;
    const pair = indexedPair(labels[0]!);
    return ns !== undefined
      ? {
          db: 'index',
          prefix: ['l', ns, pair],
          refOf: (k) => ({ namespace: ns, name: k[3] as string }),
          countKey: ['label', ns, pair],
        }
      : {
          db: 'index',
          prefix: ['l*', pair],
          refOf: (k) => ({ namespace: k[3] as string, name: k[2] as string }),
          countKey: ['label*', pair],
        };
  }
  const countKey: Key = ns !== undefined ? ['images', ns] : ['images*'];
  switch (q.sort) {
    case 'name':
      return ns !== undefined
        ? { db: 'images', prefix: [ns], refOf: (k) => ({ namespace: ns, name: k[1] as string }), countKey }
        : {
            db: 'index',
            prefix: ['n*'],
            refOf: (k) => ({ namespace: k[2] as string, name: k[1] as string }),
            countKey,
          };
    case 'created':
    case 'size': {
      const tag = q.sort === 'created' ? 'c' : 's';
      return ns !== undefined
        ? {
            db: 'index',
            prefix: [tag, ns],
            refOf: (k) => ({ namespace: ns, name: k[3] as string }),
            countKey,
          }
        : {
            db: 'index',
            prefix: [`${tag}*`],
            refOf: (k) => ({ namespace: k[2] as string, name: k[3] as string }),
            countKey,
          };
    }
  }
}

/**
 * A page through an index range: a cursor continues from the last key with one seek, and an offset jumps through the
 * sparse position index: a seek plus a native skip of at most 2,048 keys, at any depth and in either direction.
 * Returns undefined when the query has filters only the catalog can answer.
 */
export function listByIndex(
  env: StoreEnv,
  positions: SparsePositions,
  q: ListQuery,
): Page<ImageRecord> | undefined {
  const plan = indexPlan(q);
  if (!plan) return undefined;
  const cursor = q.cursor !== undefined ? decodeCursor(q.cursor) : undefined;
  if (q.cursor !== undefined && (!cursor || cursor.p !== 'i' || cursor.k === undefined)) {
    throw invalidArgument('cursor is not one this store issued for this query');
  }

  const range = childrenOf(plan.prefix);
  const reverse = q.order === 'desc';
  const db = plan.db === 'images' ? env.dbs.images : env.dbs.index;
  const end = reverse ? range.start : range.end;
  let start: Buffer;
  let skip: number;
  let exclusive: boolean | undefined;
  let offset: number;
  let after: Buffer | undefined;
  if (cursor) {
    // Starts at its own key, the last item of the previous page, which is skipped below.
    after = Buffer.from(cursor.k!, 'hex');
    start = after;
    skip = 0;
    offset = cursor.o;
  } else {
    offset = q.offset ?? 0;
    ({ start, skip, exclusive } = positions.locate(
      {
        space: plan.db,
        db: db as Database<unknown, Key>,
        start: reverse ? range.end : range.start,
        end,
        reverse,
      },
      offset,
    ));
  }
  const total = env.count(plan.countKey);
  const items: ImageRecord[] = [];
  let lastKey: Key[] | undefined;
  let more = false;
  // Ranges whose values hold the records (the images database) or cover them (the name index) are read with their
  // values; the other indexes map to `true`, and each record is read by its name.
  const withValues = plan.db === 'images' || plan.prefix[0] === 'n*';
  const read = {
    start,
    end,
    reverse,
    offset: skip,
    exclusiveStart: exclusive,
    // The page, one more to know whether there is a next page, and the cursor's own key when it still exists.
    limit: q.limit + (after ? 2 : 1),
    snapshot: true,
  };
  const entries = withValues
    ? db.getRange(read)
    : db.getKeys(read).map((key) => ({ key, value: undefined as unknown }));
  for (const { key, value } of entries) {
    if (after && lastKey === undefined && encodeKey(key as Key).equals(after)) {
      after = undefined;
      continue;
    }
    after = undefined;
    if (items.length === q.limit) {
      more = true;
      break;
    }
    const ref = plan.refOf(key as Key[]);
    const record =
      plan.db === 'images'
        ? toImageRecord(ref.namespace, ref.name, value as StoredImage)
        : withValues
          ? recordFromSummary(ref.namespace, ref.name, value as NameSummary)
          : undefined;
    if (record) items.push(record);
    else {
      const s = env.dbs.images.get(namespacedKey(ref.namespace, ref.name));
      if (!s) continue; // unreachable while indexes and records change in one transaction; `check` reports it
      items.push(toImageRecord(ref.namespace, ref.name, s));
    }
    lastKey = key as Key[];
  }
  const nextCursor = indexCursor(offset + items.length, lastKey, more);
  return { items, total, offset, nextCursor };
}

export function assertDeletable(pinned: ImageRef[], force: boolean): void {
  if (pinned.length > 0 && !force) {
    const names = pinned.slice(0, 5).map((r) => `${r.namespace}/${r.name}`);
    throw failedPrecondition(
      `${pinned.length} image(s) are pinned (imgmeta.pinned=true): ${names.join(', ')}${pinned.length > 5 ? ', ...' : ''}; use force to delete them`,
    );
  }
}
