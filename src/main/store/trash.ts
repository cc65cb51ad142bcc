import { alreadyExists, invalidArgument, notFound } from '../../shared/errors';
import type { DeleteResult, ImageRecord, ImageRef, Page, TrashEntry } from '../../shared/types';
import type { StoreEnv, StoredImage, StoredTrash, WriteContext } from './env';
import { reclaimable } from './gc';
import { assertDeletable, getStored, putImage, removeImage, treeSize } from './images';
import { childrenOf, decodeCursor, encodeKey, indexCursor, type Key } from './keys';
import { isPinned, parseTrashId, refId, toImageRecord, toTrashEntry } from './records';

/**
 * The trash keeps deleted image records, keyed by [seq, namespace, name] (newest last), with ['t', ns, name, seq] in
 * the index database to find a name's latest deletion. A trash entry holds a reference to its target like an image
 * does, so GC keeps its content until the entry is purged.
 */
export interface DeleteRequest {
  images: ImageRef[];
  dryRun: boolean;
  purge: boolean;
  force: boolean;
  /** At most this many names in the result's lists (all when absent). */
  names?: number;
}

export function deleteImages(
  env: StoreEnv,
  ctx: WriteContext | undefined,
  request: DeleteRequest,
): DeleteResult {
  const unique = new Map<string, ImageRef>();
  for (const ref of request.images) unique.set(refId(ref), ref);
  const refs = [...unique.values()];
  // A first pass keeps only what the answer needs (a million stored records held at once cost more in garbage
  // collection than reading them twice); the deleting pass reads each record again.
  const pinned: ImageRef[] = [];
  const dropped = new Map<string, number>();
  for (const ref of refs) {
    const s = getStored(env, ref);
    if (isPinned(s)) pinned.push(ref);
    dropped.set(s.t.digest, (dropped.get(s.t.digest) ?? 0) + 1);
  }
  assertDeletable(pinned, request.force);

  const listed = (list: ImageRef[]) => (request.names === undefined ? list : list.slice(0, request.names));
  const result: DeleteResult = {
    deleted: listed(refs),
    count: refs.length,
    reclaimedBytes: reclaimable(env, dropped),
    dryRun: request.dryRun,
    purged: request.purge,
    pinned: listed(pinned),
    pinnedCount: pinned.length,
  };
  if (request.dryRun) return result;
  if (!ctx) throw new Error('deleteImages needs a write context unless it is a dry run');
  for (const ref of refs) {
    const s = getStored(env, ref);
    removeImage(env, ctx, ref.namespace, ref.name, s);
    if (!request.purge) putTrash(env, ctx, { image: s, ns: ref.namespace, name: ref.name, d: ctx.now });
  }
  // Every entry this transaction put in the trash shares its sequence number, the first part of the trash key.
  return request.purge || refs.length === 0 ? result : { ...result, deletion: String(ctx.seq) };
}

function putTrash(env: StoreEnv, ctx: WriteContext, entry: StoredTrash): void {
  env.dbs.trash.put([ctx.seq, entry.ns, entry.name], entry);
  env.dbs.index.put(['t', entry.ns, entry.name, ctx.seq], true);
  ctx.addCount(['trash', entry.ns], 1);
  ctx.addCount(['trash*'], 1);
  ctx.addCount(['ref', entry.image.t.digest], 1);
}

function removeTrash(env: StoreEnv, ctx: WriteContext, seq: number, entry: StoredTrash): void {
  env.dbs.trash.remove([seq, entry.ns, entry.name]);
  env.dbs.index.remove(['t', entry.ns, entry.name, seq]);
  ctx.addCount(['trash', entry.ns], -1);
  ctx.addCount(['trash*'], -1);
  ctx.addCount(['ref', entry.image.t.digest], -1);
}

type Located = [seq: number, entry: StoredTrash];

function locateById(env: StoreEnv, id: string): Located {
  const parsed = parseTrashId(id);
  if (!parsed) throw invalidArgument(`trash id ${JSON.stringify(id)} is not one this store issued`);
  const [seq, ns, name] = parsed;
  const entry = env.dbs.trash.get([seq, ns, name]);
  if (!entry) throw notFound(`trash entry ${id} not found`);
  return [seq, entry];
}

/** The latest deletion of a name. */
function locateByName(env: StoreEnv, ref: ImageRef): Located {
  for (const key of env.dbs.index.getKeys({ ...reverseRange(['t', ref.namespace, ref.name]), limit: 1 })) {
    const seq = (key as Key[])[3] as number;
    const entry = env.dbs.trash.get([seq, ref.namespace, ref.name]);
    if (entry) return [seq, entry];
  }
  throw notFound(`no deleted image ${ref.name} in namespace ${ref.namespace} in the trash`);
}

const reverseRange = (prefix: Key[]) => {
  const { start, end } = childrenOf(prefix);
  return { start: end, end: start, reverse: true };
};

/** What one deletion (one transaction) put in the trash and is still there. */
function locateDeletion(env: StoreEnv, deletion: string): Located[] {
  const seq = Number(deletion);
  const located: Located[] = [...env.dbs.trash.getRange(childrenOf([seq]))].map(({ value }) => [seq, value]);
  if (located.length === 0) throw notFound(`nothing deleted by deletion ${deletion} is in the trash`);
  return located;
}

export function restoreImages(
  env: StoreEnv,
  ctx: WriteContext,
  request: { ids?: string[]; images?: ImageRef[]; deletion?: string },
): ImageRecord[] {
  const located = [
    ...(request.ids ?? []).map((id) => locateById(env, id)),
    ...(request.images ?? []).map((ref) => locateByName(env, ref)),
    ...(request.deletion !== undefined ? locateDeletion(env, request.deletion) : []),
  ];
  if (located.length === 0) throw invalidArgument('name at least one image or trash entry to restore');
  const restored: ImageRecord[] = [];
  const seen = new Set<string>();
  for (const [seq, entry] of located) {
    const id = JSON.stringify([entry.ns, entry.name]);
    if (seen.has(id))
      throw invalidArgument(`${entry.name} in namespace ${entry.ns} is named twice in one restore`);
    seen.add(id);
    if (env.dbs.images.get([entry.ns, entry.name])) {
      throw alreadyExists(
        `cannot restore ${entry.name}: an image of that name exists in namespace ${entry.ns}`,
      );
    }
    removeTrash(env, ctx, seq, entry);
    // Content may have arrived while it was in the trash: the total is recomputed like on create.
    const image: StoredImage = { ...entry.image, u: ctx.now, z: treeSize(env, entry.image.t) };
    putImage(env, ctx, entry.ns, entry.name, image);
    restored.push(toImageRecord(entry.ns, entry.name, image));
  }
  return restored;
}

export function purgeTrash(
  env: StoreEnv,
  ctx: WriteContext | undefined,
  request: { ids?: string[]; dryRun: boolean },
): { purged: number; reclaimedBytes: number } {
  const located: Located[] =
    request.ids !== undefined
      ? [...new Set(request.ids)].map((id) => locateById(env, id))
      : [...env.dbs.trash.getRange({ snapshot: true })].map(({ key, value }) => [
          (key as Key[])[0] as number,
          value,
        ]);
  const dropped = new Map<string, number>();
  for (const [, entry] of located)
    dropped.set(entry.image.t.digest, (dropped.get(entry.image.t.digest) ?? 0) + 1);
  const reclaimedBytes = reclaimable(env, dropped);
  if (!request.dryRun) {
    if (!ctx) throw new Error('purgeTrash needs a write context unless it is a dry run');
    for (const [seq, entry] of located) removeTrash(env, ctx, seq, entry);
  }
  return { purged: located.length, reclaimedBytes };
}

export function listTrash(
  env: StoreEnv,
  q: { namespace?: string; cursor?: string; limit: number },
): Page<TrashEntry> {
  const cursor = q.cursor !== undefined ? decodeCursor(q.cursor) : undefined;
  if (q.cursor !== undefined && (!cursor || cursor.k === undefined))
    throw invalidArgument('cursor is not one this store issued');
  // Newest first: trash keys start with the sequence number, and 0xff sorts after every encoded number.
  const start = cursor ? Buffer.from(cursor.k!, 'hex') : Buffer.from([0xff]);
  const items: TrashEntry[] = [];
  let lastKey: Key | undefined;
  let more = false;
  for (const { key, value } of env.dbs.trash.getRange({ start, reverse: true, snapshot: true })) {
    if (cursor && lastKey === undefined && items.length === 0 && encodeKey(key as Key).equals(start))
      continue;
    if (q.namespace !== undefined && value.ns !== q.namespace) continue;
    if (items.length === q.limit) {
      more = true;
      break;
    }
    items.push(toTrashEntry((key as Key[])[0] as number, value));
    lastKey = key as Key;
  }
  const offset = cursor?.o ?? 0;
  const total = env.count(q.namespace !== undefined ? ['trash', q.namespace] : ['trash*']);
  return {
    items,
    total,
    offset,
    nextCursor: indexCursor(offset + items.length, lastKey, more),
  };
}
