import { createHash } from 'node:crypto';
import { ZodError } from 'zod';
import { invalidArgument, notFound } from '../../shared/errors';
import { descriptorSchema, limits } from '../../shared/schemas';
import type { ContentBlob, ContentInfo, Descriptor, Labels, Platform, TreeNode } from '../../shared/types';
import type { ChildRole, StoreEnv, StoredContent, WriteContext } from './env';
import { refreshSizes } from './images';
import { childrenOf } from './keys';
import { toContentInfo } from './records';

export function digestOf(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

const jsonMediaType = /\+json$|^application\/json$/;

/**
 * The descriptors a manifest-like JSON blob points at. The descriptor that points at a blob is authoritative for its
 * type, and umoci writes manifests without a `mediaType`, so the shape decides: `manifests` (index), `config` and
 * `layers` (manifest), `blobs` (artifact manifest), `subject` (a referrer).
 */
export function childrenOfBlob(bytes: Uint8Array, mediaType: string): [ChildRole, Descriptor][] {
  if (!jsonMediaType.test(mediaType)) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw invalidArgument(`blob of media type ${mediaType} is not valid JSON: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return [];
  const d = doc as Record<string, unknown>;
  const children: [ChildRole, Descriptor][] = [];
  const take = (role: ChildRole, value: unknown, where: string) => {
    try {
      children.push([role, descriptorSchema.parse(value) as Descriptor]);
    } catch (err) {
      const detail =
        err instanceof ZodError
          ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
          : String(err);
      throw invalidArgument(
        `blob of media type ${mediaType} has an invalid descriptor at ${where}: ${detail}`,
      );
    }
  };
  const list = (role: ChildRole, field: string) => {
    const value = d[field];
    if (value === undefined) return;
    if (!Array.isArray(value))
      throw invalidArgument(`blob of media type ${mediaType}: ${field} must be an array`);
    value.forEach((item, i) => take(role, item, `${field}[${i}]`));
  };
  // A config blob is JSON too, but only manifests and indexes carry these fields at the top level.
  const isManifestLike =
    'manifests' in d ||
    'layers' in d ||
    'blobs' in d ||
    (typeof d.config === 'object' && d.config !== null && 'digest' in (d.config as object));
  if (!isManifestLike) return [];
  list('manifest', 'manifests');
  if (d.config !== undefined) take('config', d.config, 'config');
  list('layer', 'layers');
  list('blob', 'blobs');
  if (d.subject !== undefined) take('subject', d.subject, 'subject');
  return children;
}

export interface PutContent {
  bytes: Uint8Array;
  mediaType: string;
  digest?: string;
  labels?: Labels;
}

/** Verifies and stores one manifest, index or config, recording its children; storing the same bytes again is a no-op. */
export function putContent(env: StoreEnv, ctx: WriteContext, input: PutContent): ContentInfo {
  if (input.bytes.byteLength > limits.valueBytes) {
    throw invalidArgument(
      `blob is ${input.bytes.byteLength} bytes; the store keeps manifests, indexes and configs up to ${limits.valueBytes} bytes`,
    );
  }
  const algorithm = input.digest?.startsWith('sha512:') ? 'sha512' : 'sha256';
  const digest = digestOf(input.bytes, algorithm);
  if (input.digest !== undefined && input.digest !== digest) {
    throw invalidArgument(`digest mismatch: the bytes hash to ${digest}, not ${input.digest}`);
  }
  const existing = env.dbs.content.get(digest);
  if (existing?.p) {
    const labels = { ...existing.l, ...input.labels };
    if (JSON.stringify(labels) !== JSON.stringify(existing.l))
      env.dbs.content.put(digest, { ...existing, l: labels });
    return toContentInfo(digest, { ...existing, l: labels });
  }
  const children = childrenOfBlob(input.bytes, input.mediaType);
  const stored: StoredContent = {
    s: input.bytes.byteLength,
    m: input.mediaType,
    l: { ...existing?.l, ...input.labels },
    k: children,
    c: existing?.c ?? ctx.now,
    p: true,
  };
  env.dbs.content.put(digest, stored);
  // Content nothing holds when the transaction commits is garbage: queue it for GC (an import that stores content
  // and the images that reach it in one transaction queues nothing).
  ctx.contentArrived(digest);
  env.dbs.blobs.put(digest, Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength));
  for (const [role, child] of children) env.dbs.parents.put([child.digest, digest], role);
  ctx.addCount(['contentBytes'], stored.s);
  refreshSizes(env, ctx, [digest, ...ancestors(env, digest)]);
  return toContentInfo(digest, stored);
}

/** Removes a blob and its edges; GC's sweep. */
export function removeContent(env: StoreEnv, ctx: WriteContext, digest: string): number {
  const stored = env.dbs.content.get(digest);
  if (!stored) return 0;
  for (const [, child] of stored.k) env.dbs.parents.remove([child.digest, digest]);
  env.dbs.content.remove(digest);
  if (stored.p) {
    env.dbs.blobs.remove(digest);
    ctx.addCount(['contentBytes'], -stored.s);
  }
  return stored.p ? stored.s : 0;
}

export function getInfo(env: StoreEnv, digest: string): ContentInfo {
  const stored = env.dbs.content.get(digest);
  if (!stored) throw notFound(`content ${digest} not found`);
  return toContentInfo(digest, stored);
}

export function getBlob(env: StoreEnv, digest: string): ContentBlob {
  const info = getInfo(env, digest);
  const bytes = env.dbs.blobs.get(digest);
  if (!bytes) throw notFound(`content ${digest} is known but its bytes are not stored`);
  return { info, bytes: new Uint8Array(bytes) };
}

/**
 * What platforms a stored blob is for: an index's are its manifests' (attestation manifests, `unknown/unknown`, left
 * out); a manifest's come from its config when that is stored. Undefined when the blob is not in the store.
 */
export function platformsOf(env: StoreEnv, digest: string): Platform[] | undefined {
  const stored = env.dbs.content.get(digest);
  if (!stored) return undefined;
  const { children } = toContentInfo(digest, stored);
  const listed = children
    .filter(({ role, descriptor }) => role === 'manifest' && descriptor.platform)
    .map(({ descriptor }) => descriptor.platform!)
    .filter((p) => p.os !== 'unknown' && p.architecture !== 'unknown');
  if (listed.length > 0) return listed;
  const config = children.find(({ role }) => role === 'config');
  const bytes = config && env.dbs.blobs.get(config.descriptor.digest);
  if (!bytes) return [];
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as Partial<Platform>;
    if (typeof parsed.os !== 'string' || typeof parsed.architecture !== 'string') return [];
    return [
      {
        os: parsed.os,
        architecture: parsed.architecture,
        ...(typeof parsed.variant === 'string' ? { variant: parsed.variant } : {}),
      },
    ];
  } catch {
    return [];
  }
}

/** Blobs that point at `digest`: [parent digest, role]. */
export function* parentsOf(env: StoreEnv, digest: string): Generator<[string, ChildRole]> {
  for (const { key, value } of env.dbs.parents.getRange(childrenOf([digest]))) {
    yield [(key as [string, string])[1], value as ChildRole];
  }
}

/** Every blob from which `digest` can be reached, bounded. */
export function ancestors(env: StoreEnv, digest: string): Set<string> {
  const found = new Set<string>();
  const queue = [digest];
  while (queue.length > 0 && found.size < 10_000) {
    for (const [parent, role] of parentsOf(env, queue.pop()!)) {
      // A referrer points at its subject, but the subject is not part of the referrer's image.
      if (role === 'subject' || found.has(parent)) continue;
      found.add(parent);
      queue.push(parent);
    }
  }
  return found;
}

const maxTreeDepth = 16;
const maxTreeNodes = 10_000;

/** An image's (or a blob's) content tree, each node flagged present or not stored, referrers attached to their subject. */
export function contentTree(env: StoreEnv, root: Descriptor): TreeNode {
  let nodes = 0;
  const walk = (
    role: TreeNode['role'],
    descriptor: Descriptor,
    path: Set<string>,
    depth: number,
  ): TreeNode => {
    nodes++;
    const stored = env.dbs.content.get(descriptor.digest);
    const node: TreeNode = { role, descriptor, present: stored?.p ?? false, children: [] };
    if (path.has(descriptor.digest)) return { ...node, truncated: 'cycle' };
    if (depth >= maxTreeDepth || nodes >= maxTreeNodes)
      return stored?.k.length ? { ...node, truncated: 'depth' } : node;
    const inner = new Set(path).add(descriptor.digest);
    for (const [childRole, child] of stored?.k ?? []) {
      // The subject is shown where it lives; here it would walk back up the tree.
      if (childRole === 'subject') continue;
      node.children.push(walk(childRole, child, inner, depth + 1));
    }
    for (const [parent, parentRole] of parentsOf(env, descriptor.digest)) {
      if (parentRole !== 'subject') continue;
      const referrer = env.dbs.content.get(parent);
      if (!referrer) continue;
      node.children.push(
        walk('referrer', { mediaType: referrer.m, digest: parent, size: referrer.s }, inner, depth + 1),
      );
    }
    return node;
  };
  return walk('target', root, new Set(), 0);
}

/**
 * What keeps a blob alive, seen from the blob: the blobs that contain it, and for a referrer (a signature, an SBOM)
 * its subject, because a referrer lives as long as the image it describes.
 */
export function* holdersOf(env: StoreEnv, digest: string): Generator<string> {
  for (const [parent, role] of parentsOf(env, digest)) if (role !== 'subject') yield parent;
  for (const [role, child] of env.dbs.content.get(digest)?.k ?? [])
    if (role === 'subject') yield child.digest;
}

/** What a blob keeps alive: its children (not its subject) and the referrers that name it as their subject. */
export function* heldBy(env: StoreEnv, digest: string): Generator<string> {
  for (const [role, child] of env.dbs.content.get(digest)?.k ?? [])
    if (role !== 'subject') yield child.digest;
  for (const [parent, role] of parentsOf(env, digest)) if (role === 'subject') yield parent;
}

/** Content digests reachable from the roots through heldBy: what GC keeps. */
export function reachable(env: StoreEnv, roots: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const queue: string[] = [];
  const visit = (digest: string) => {
    if (seen.has(digest)) return;
    seen.add(digest);
    queue.push(digest);
  };
  for (const root of roots) visit(root);
  while (queue.length > 0) for (const next of heldBy(env, queue.pop()!)) visit(next);
  return seen;
}
