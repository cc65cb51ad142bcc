import type { ContentInfo, ImageRecord, ImageRef, TrashEntry } from '../../shared/types';
import type { StoredContent, StoredImage, StoredTrash } from './env';

/** Conversions between the stored shapes (compact, ms times) and the API's records (ISO-8601 times). */
export const iso = (ms: number) => new Date(ms).toISOString();

export const toImageRecord = (namespace: string, name: string, s: StoredImage): ImageRecord => ({
  namespace,
  name,
  target: s.t,
  labels: s.l,
  createdAt: iso(s.c),
  updatedAt: iso(s.u),
  totalSize: s.z,
});

export const toContentInfo = (digest: string, s: StoredContent): ContentInfo => ({
  digest,
  size: s.s,
  mediaType: s.m,
  labels: s.l,
  children: s.k.map(([role, descriptor]) => ({ role, descriptor })),
  createdAt: iso(s.c),
});

export const trashId = (seq: number, namespace: string, name: string) => `${seq}:${namespace}:${name}`;

/** Inverse of trashId; namespaces never contain ':' so the first two colons split it. */
export function parseTrashId(id: string): [number, string, string] | undefined {
  const first = id.indexOf(':');
  const second = id.indexOf(':', first + 1);
  if (first < 1 || second < 0) return undefined;
  const seq = Number(id.slice(0, first));
  if (!Number.isSafeInteger(seq) || seq < 0) return undefined;
  return [seq, id.slice(first + 1, second), id.slice(second + 1)];
}

export const toTrashEntry = (seq: number, t: StoredTrash): TrashEntry => ({
  id: trashId(seq, t.ns, t.name),
  image: toImageRecord(t.ns, t.name, t.image),
  deletedAt: iso(t.d),
});

/** One string per image name (NUL never occurs in namespaces or names): for sets and maps of images. */
export const refId = (ref: ImageRef): string => `${ref.namespace}\u0000${ref.name}`;

export const isPinned = (s: StoredImage) => s.l['imgmeta.pinned'] === 'true';
